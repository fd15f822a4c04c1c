using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mtls.Extensions.Benchmarks.Shared;

/// <summary>Debian's nginx with <c>ssl_verify_client on</c>, one worker pinned to CPU 0, keep-alive without a request limit.</summary>
internal sealed class NginxServer : IDisposable
{
    private readonly Process _process;

    private NginxServer(Process process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts nginx on a free loopback port and waits until it accepts connections.</summary>
    /// <param name="directory">Holds server.pem, server.key and ca.pem (the CA the client certificates chain to); nginx writes its files there.</param>
    /// <returns>The running server.</returns>
    public static async Task<NginxServer> StartAsync(string directory)
    {
        var executable = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("nginx is not installed: `apt-get install -y nginx-light` (bash .ci/run installs it).");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var config = $$"""
            worker_processes 1;
            master_process off;
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                keepalive_requests 100000000;
                keepalive_timeout 300s;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_certificate {{directory}}/server.pem;
                    ssl_certificate_key {{directory}}/server.key;
                    ssl_client_certificate {{directory}}/ca.pem;
                    ssl_verify_client on;
                    ssl_verify_depth 3;
                    location /ping {
                        default_type text/plain;
                        return 200 "ok";
                    }
                }
            }
            """;
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        var cpus = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3]));
        var pin = cpus >= 2 && File.Exists("/usr/bin/taskset");
        var info = new ProcessStartInfo(pin ? "/usr/bin/taskset" : executable) { UseShellExecute = false, RedirectStandardError = true };
        if (pin)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("0");
            info.ArgumentList.Add(executable);
        }

        foreach (var arg in new[] { "-p", directory, "-c", configPath })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("nginx did not start");
        var nginx = new NginxServer(process, port);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var connection = new TcpClient();
                await connection.ConnectAsync(IPAddress.Loopback, port);
                return nginx;
            }
            catch (SocketException)
            {
                await Task.Delay(50); // nginx has no readiness signal but its listening socket
            }
        }

        nginx.Dispose();
        throw new TimeoutException("nginx did not listen within 15 s");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
