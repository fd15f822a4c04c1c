using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Mtls.Extensions.Spiffe.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>The Inventory.Api sample, run as its own process, takes its identity from the Workload API by configuration alone.</summary>
public sealed partial class SampleWorkloadApiTests : IAsyncLifetime, IDisposable
{
    private const string InventoryId = "spiffe://example.org/ns/default/sa/inventory";
    private readonly SpiffePki _pki = new();
    private FakeWorkloadApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeWorkloadApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task InventoryApi_OneEnvironmentVariable_ServesTheWorkloadApiSvid()
    {
        using var svid = _pki.Root.IssueLocalhostServer("inventory", InventoryId);
        _api.Publish(_pki.Svid(svid));
        var dll = typeof(SampleWorkloadApiTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "InventoryApi").Value!;
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", "https://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["Mtls__Server__Certificate__WorkloadApi__Socket"] = _api.Address;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        try
        {
            var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    listening.TrySetException(new InvalidOperationException("Inventory.Api exited: " + string.Join('\n', log)));
                    return;
                }

                log.Enqueue(e.Data);
                if (ListeningOn().Match(e.Data) is { Success: true } match)
                {
                    listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }
            };
            process.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));

            using var client = _pki.Root.IssueClient("orders", "spiffe://example.org/ns/default/sa/orders");
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
            await using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
            System.Security.Cryptography.X509Certificates.X509Certificate2? presented = null;
            await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(client.Certificate, null, offline: true),
                RemoteCertificateValidationCallback = (_, c, _, _) =>
                {
                    presented = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(c!.GetRawCertData());
                    return true;
                },
            });
            Assert.Equal(svid.ThumbprintSha256, presented!.GetCertHashString(HashAlgorithmName.SHA256));
            Assert.All(_api.SecurityHeaders, h => Assert.Equal("true", h));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [GeneratedRegex(@"Now listening on: https://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningOn();
}
