using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Interop;

/// <summary>
/// Debian's nginx (installed by .ci/run) as an external mTLS server on 127.0.0.1: serves a certificate with its chain,
/// requires client certificates that chain to the given CA, answers with the client's subject DN and verify result,
/// and logs one access-log line per request.
/// </summary>
public sealed class NginxServer : IDisposable
{
    private readonly Process _process;

    private NginxServer(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
    }

    public string Directory { get; }

    public Uri BaseAddress { get; }

    public string AccessLog => Path.Combine(Directory, "access.log");

    public int RequestsLogged => File.Exists(AccessLog) ? File.ReadAllLines(AccessLog).Length : 0;

    public static string Executable =>
        new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("nginx is not installed: run `bash .ci/run`, or `apt-get install -y nginx-light`, before the interop tests.");

    public static async Task<NginxServer> StartAsync(TestCertificate server, string clientCaPath, string? crlPath = null)
    {
        var executable = Executable;
        var directory = System.IO.Directory.CreateTempSubdirectory("mtls-nginx-").FullName;
        var certificate = Path.Combine(directory, "server.pem");
        var key = Path.Combine(directory, "server.key");
        server.WritePem(certificate, key);
        File.Copy(clientCaPath, Path.Combine(directory, "client-ca.pem"));
        // ssl_crl: OpenSSL then checks every certificate of the client's chain against its issuer's CRL.
        var crl = crlPath is null ? "" : $"ssl_crl {crlPath};";
        var port = FreePort();
        var config = $$"""
            worker_processes 1;
            master_process off;
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 64; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_certificate {{certificate}};
                    ssl_certificate_key {{key}};
                    ssl_client_certificate {{directory}}/client-ca.pem;
                    ssl_verify_client on;
                    ssl_verify_depth 3;
                    {{crl}}
                    location / {
                        default_type text/plain;
                        return 200 "$ssl_client_s_dn|$ssl_client_verify";
                    }
                }
            }
            """;
        var configPath = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        var process = Process.Start(new ProcessStartInfo(executable, ["-p", directory, "-c", configPath])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("nginx did not start.");
        var nginx = new NginxServer(process, directory, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var error = await process.StandardError.ReadToEndAsync();
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {error} {ReadIfExists(Path.Combine(directory, "error.log"))}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return nginx;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        nginx.Dispose();
        throw new TimeoutException("nginx did not listen within 15 s.");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
