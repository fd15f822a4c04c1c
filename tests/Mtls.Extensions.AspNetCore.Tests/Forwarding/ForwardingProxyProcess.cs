using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>
/// A TLS-terminating proxy nobody here wrote (Debian's nginx or HAProxy, installed by .ci/run) on 127.0.0.1 in front of
/// a Kestrel on plain HTTP: it asks the client for a certificate without judging it and forwards it in a header.
/// </summary>
public sealed class ForwardingProxyProcess : IDisposable
{
    private readonly Process _process;

    private ForwardingProxyProcess(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        BaseAddress = new Uri($"https://127.0.0.1:{port}/");
    }

    public string Directory { get; }

    public Uri BaseAddress { get; }

    /// <summary>nginx with <c>ssl_verify_client optional_no_ca</c> and <c>proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert</c>.</summary>
    public static Task<ForwardingProxyProcess> StartNginxAsync(TestCertificate server, Uri upstream)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mtls-fwd-nginx-").FullName;
        var certificate = Path.Combine(directory, "server.pem");
        var key = Path.Combine(directory, "server.key");
        server.WritePem(certificate, key);
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
                    ssl_verify_client optional_no_ca;
                    location / {
                        proxy_pass http://127.0.0.1:{{upstream.Port}};
                        proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
                    }
                }
            }
            """;
        var path = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(path, config);
        var executable = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("nginx is not installed: apt-get install -y nginx-light (or run bash .ci/run).");
        return StartAsync(executable, ["-p", directory, "-c", path], directory, port);
    }

    /// <summary>HAProxy with <c>verify optional</c> (errors ignored: the app judges) and <c>set-header X-SSL-Client-Cert %[ssl_c_der,base64]</c>.</summary>
    public static Task<ForwardingProxyProcess> StartHaproxyAsync(TestCertificate server, string anyCaPath, Uri upstream)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mtls-fwd-haproxy-").FullName;
        var combined = Path.Combine(directory, "server.pem");
        File.WriteAllText(combined, server.ExportCertificatePem(includeChain: true) + "\n" + server.ExportKeyPem());
        var port = FreePort();
        var config = $"""
            global
                maxconn 100
            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend tls
                bind 127.0.0.1:{port} ssl crt {combined} verify optional ca-file {anyCaPath} ca-ignore-err all crt-ignore-err all
                http-request del-header X-SSL-Client-Cert
                http-request set-header X-SSL-Client-Cert %[ssl_c_der,base64] if {"{"} ssl_c_used {"}"}
                default_backend app
            backend app
                server kestrel 127.0.0.1:{upstream.Port}

            """;
        var path = Path.Combine(directory, "haproxy.cfg");
        File.WriteAllText(path, config);
        var executable = new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy" }.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("haproxy is not installed: apt-get install -y haproxy (or run bash .ci/run).");
        return StartAsync(executable, ["-f", path, "-db"], directory, port);
    }

    private static async Task<ForwardingProxyProcess> StartAsync(string executable, string[] arguments, string directory, int port)
    {
        var process = Process.Start(new ProcessStartInfo(executable, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var proxy = new ForwardingProxyProcess(process, directory, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return proxy;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        proxy.Dispose();
        string output;
        lock (stderr) { output = stderr.ToString(); }
        throw new InvalidOperationException($"{Path.GetFileName(executable)} did not start on 127.0.0.1:{port}: {output}");
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
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
