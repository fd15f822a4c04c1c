using System.Globalization;
using Mtls.Extensions.LoadTest;

// dotnet Mtls.Extensions.LoadTest.dll run [--seconds 5] [--repetitions 3] [--concurrency 4] [--out results.md]
// dotnet Mtls.Extensions.LoadTest.dll sessions [--seconds 5] [--repetitions 3] [--concurrency 4] [--out results.md]   (resumed vs full handshakes)
// dotnet Mtls.Extensions.LoadTest.dll compare [same options]   (side by side with the official certificate handler)
// dotnet Mtls.Extensions.LoadTest.dll clients [--seconds 5] [--repetitions 3] [--concurrency 16] [--out results.md]   (client CPU per request against nginx)
// dotnet Mtls.Extensions.LoadTest.dll server <a|b|c|cmp-*> <certificate folder>     (started by "run" / "compare")
if (args.Length >= 3 && args[0] == "server")
{
    return ComparisonServers.Handles(args[1]) ? await ComparisonServers.RunAsync(args[1], args[2]) : await Servers.RunAsync(args[1], args[2]);
}

if (args.Length >= 1 && args[0] is "run" or "sessions" or "compare" or "clients")
{
    string Option(string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    var seconds = double.Parse(Option("--seconds", "5"), CultureInfo.InvariantCulture);
    var repetitions = int.Parse(Option("--repetitions", "3"), CultureInfo.InvariantCulture);
    var concurrency = int.Parse(Option("--concurrency", args[0] == "clients" ? "16" : "4"), CultureInfo.InvariantCulture);
    var report = args[0] switch
    {
        "sessions" => await new Sessions(TimeSpan.FromSeconds(seconds), repetitions, concurrency).RunAsync(),
        "clients" => await new Clients(TimeSpan.FromSeconds(seconds), repetitions, concurrency).RunAsync(),
        "compare" => await new ComparisonOrchestrator(TimeSpan.FromSeconds(seconds), repetitions, concurrency).RunAsync(),
        _ => await new Orchestrator(TimeSpan.FromSeconds(seconds), repetitions, concurrency).RunAsync(),
    };
    var output = Option("--out", string.Empty);
    if (output.Length > 0)
    {
        await File.WriteAllTextAsync(output, report);
    }

    Console.WriteLine(report);
    return 0;
}

Console.Error.WriteLine("usage: run|sessions|compare|clients [--seconds 5] [--repetitions 3] [--concurrency 4] [--out file] | server <a|b|c|cmp-*> <folder>");
return 2;
