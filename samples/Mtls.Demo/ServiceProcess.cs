using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mtls.Demo;

/// <summary>A sample service run as a child process on 127.0.0.1, its output captured line by line.</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ServiceProcess(string name, Process process, int port, int probePort)
    {
        Name = name;
        _process = process;
        Port = port;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
        ProbeAddress = new Uri($"http://127.0.0.1:{probePort}/");
    }

    public string Name { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>Gets the plain-HTTP port where probes without a client certificate reach /healthz/live and /healthz/ready.</summary>
    public Uri ProbeAddress { get; }

    public static ServiceProcess Start(string name, string dll, IDictionary<string, string> environment)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the samples first (dotnet build samples/Mtls.Demo).", dll);
        }

        var port = FreePort();
        var probePort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        // A production run, configured by environment variables alone: the standard ASPNETCORE_URLS (the mTLS port and a
        // plain-HTTP probe port) and the documented Mtls__* keys the caller passes. appsettings.Development.json is not read.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = $"https://127.0.0.1:{port};http://127.0.0.1:{probePort}";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, process, port, probePort);
        process.OutputDataReceived += (_, e) => service.Add(e.Data);
        process.ErrorDataReceived += (_, e) => service.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits until the service accepts TCP connections; fails with its output if it exits first.</summary>
    public async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} during start-up:\n{Output()}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"{Name} did not listen on port {Port} within {timeout.TotalSeconds:F0} s:\n{Output()}");
    }

    /// <summary>Waits for an output line containing all the given fragments.</summary>
    public async Task<string?> WaitForLineAsync(TimeSpan timeout, params string[] fragments)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            lock (_lines)
            {
                var line = _lines.FirstOrDefault(l => fragments.All(f => l.Contains(f, StringComparison.Ordinal)));
                if (line is not null)
                {
                    return line;
                }
            }

            await Task.Delay(50);
        }

        return null;
    }

    public string Output()
    {
        lock (_lines)
        {
            var text = new StringBuilder();
            foreach (var line in _lines.TakeLast(40))
            {
                text.Append("        | ").AppendLine(line);
            }

            return text.ToString();
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
