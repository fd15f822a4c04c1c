using System.Reflection;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mtls.Tool.Tests;

/// <summary>One run of the built tool as its own process (<c>dotnet Mtls.Tool.dll ...</c>), bounded in time.</summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonObject Json => JsonNode.Parse(Stdout)?.AsObject() ?? throw new InvalidOperationException("no JSON on stdout: " + Stderr);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

public static class MtlsToolProcess
{
    public static string Dll { get; } = typeof(MtlsToolProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "MtlsTool").Value!;

    public static async Task<ToolRun> RunAsync(IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mtls {string.Join(' ', arguments)} did not finish within 60 s.");
        }

        var run = new ToolRun(process.ExitCode, await stdout, await stderr);
        return run.ExitCode is 0 or 1 or 2 ? run : throw new InvalidOperationException($"mtls {string.Join(' ', arguments)} crashed: {run}");
    }

    public static Task<ToolRun> RunAsync(params string[] arguments) => RunAsync(arguments, null, null);

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mtls.Extensions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Mtls.Extensions.sln was not found above " + AppContext.BaseDirectory);
    }
}
