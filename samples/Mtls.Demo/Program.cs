// The main job in one command: dotnet run --project samples/Mtls.Demo
// Generates a dev PKI into .mtls-dev/ (first run), starts Inventory.Api and Orders.Api on 127.0.0.1, and shows
// mutual TLS doing its job. Exits 0 only if every step behaved as expected.
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Demo;
using Mtls.Extensions;
using Mtls.Extensions.Http;
using Mtls.Extensions.Testing;

var metadata = typeof(DevPki).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value ?? string.Empty);
var repositoryRoot = metadata["RepositoryRoot"];
var devDirectory = Path.Combine(repositoryRoot, ".mtls-dev");
var failures = new List<string>();
var services = new List<ServiceProcess>();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();

try
{
    Step("0", "Development PKI");
    using var pki = DevPki.LoadOrCreate(devDirectory);
    Console.WriteLine(pki.Created
        ? $"      generated {devDirectory} (dev root + issuing CA, certificates for inventory, orders, demo, billing)"
        : $"      reusing {devDirectory} (delete it to regenerate)");
    Console.WriteLine($"      pinned CA: {pki.Root.Certificate.Subject}; workloads get SPIFFE IDs in {DevPki.TrustDomain}");

    Step("0", "Starting Inventory.Api and Orders.Api on 127.0.0.1");
    var inventory = ServiceProcess.Start("Inventory.Api", metadata["InventoryApi"], new Dictionary<string, string>
    {
        ["Mtls__Server__Certificate__Directory"] = pki.Folder("inventory"),
        ["Mtls__Server__Certificate__Layout"] = "CertManager",
    });
    services.Add(inventory);
    await inventory.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
    var orders = ServiceProcess.Start("Orders.Api", metadata["OrdersApi"], new Dictionary<string, string>
    {
        ["Mtls__Server__Certificate__Directory"] = pki.Folder("orders"),
        ["Mtls__Server__Certificate__Layout"] = "CertManager",
        ["Mtls__Clients__inventory__BaseAddress"] = inventory.BaseAddress.ToString(),
        ["Mtls__Clients__inventory__Certificate__Directory"] = pki.Folder("orders"),
        ["Mtls__Clients__inventory__Certificate__Layout"] = "CertManager",
        // No retries: a request that fails during rotation must show up as a failure, not be retried away.
        ["Mtls__Clients__inventory__Resilience__MaxRetryAttempts"] = "0",
    });
    services.Add(orders);
    await orders.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
    Console.WriteLine($"      Inventory.Api {inventory.BaseAddress}   Orders.Api {orders.BaseAddress}");

    await using var clients = Clients(pki, inventory.BaseAddress, orders.BaseAddress);
    var factory = clients.GetRequiredService<IHttpClientFactory>();

    // 1. An authorized call, and who each side saw.
    Step("1", "Authorized call: demo -> Orders /orders/check -> Inventory /whoami");
    var check = await GetJsonAsync(factory.CreateClient("orders"), "/orders/check", cancel.Token);
    var saw = check?["inventorySaw"];
    Console.WriteLine($"      Orders saw the caller as    {check?["caller"]}");
    Console.WriteLine($"      Inventory saw Orders as     {saw?["spiffeId"]} ({saw?["subject"]}, SHA-256 {Short(saw?["thumbprintSha256"]?.ToString())})");
    Expect((int?)check?["inventoryStatus"] == 200 && saw?["spiffeId"]?.ToString() == DevPki.OrdersId, "Inventory authenticated Orders by its SPIFFE ID");
    var stock = await GetJsonAsync(factory.CreateClient("orders"), "/orders/stock", cancel.Token);
    Console.WriteLine($"      Orders read /inventory      HTTP {stock?["inventoryStatus"]}: {stock?["inventorySaw"]?.ToJsonString()}");
    Expect((int?)stock?["inventoryStatus"] == 200, "Orders is an allowed caller of /inventory");

    // 2. A client from a CA nobody pins.
    Step("2", "Untrusted client: a certificate from 'Rogue CA' (same SPIFFE ID as Orders) calls Inventory");
    try
    {
        using var response = await factory.CreateClient("rogue").GetAsync(new Uri("/whoami", UriKind.Relative), cancel.Token);
        Expect(false, $"the rogue client must not get an answer, got HTTP {(int)response.StatusCode}");
    }
    catch (MtlsHandshakeException e)
    {
        Console.WriteLine($"      client side: MtlsHandshakeException, RejectedBy={e.RejectedBy}, Reason={e.Reason}");
        var line = await inventory.WaitForLineAsync(TimeSpan.FromSeconds(10), "Rejected Client certificate");
        var reason = Enum.GetNames<MtlsRejectionReason>().FirstOrDefault(r => line?.Contains($": {r}.", StringComparison.Ordinal) == true);
        Console.WriteLine($"      server side: {Trim(line)}");
        Expect(e.RejectedBy == MtlsHandshakeSide.Server && reason is nameof(MtlsRejectionReason.PartialChain) or nameof(MtlsRejectionReason.UntrustedRoot),
            $"Inventory rejected the handshake with reason code {reason ?? "(none found in its log)"}");
    }

    // 3. A valid identity that is not allowed.
    Step("3", $"Unauthorized identity: {DevPki.BillingId} (valid certificate) reads Inventory /inventory");
    using (var billing = await factory.CreateClient("billing").GetAsync(new Uri("/inventory", UriKind.Relative), cancel.Token))
    {
        using var whoami = await factory.CreateClient("billing").GetAsync(new Uri("/whoami", UriKind.Relative), cancel.Token);
        Console.WriteLine($"      /whoami -> HTTP {(int)whoami.StatusCode} (authenticated),  /inventory -> HTTP {(int)billing.StatusCode}");
        Expect(whoami.StatusCode == HttpStatusCode.OK && billing.StatusCode == HttpStatusCode.Forbidden, "billing is authenticated but forbidden (403)");
    }

    // 4. Probes without a client certificate, and the detailed health report for a peer.
    Step("4", "Health: a probe without a certificate on the plain-HTTP port; the JSON report for an authenticated peer");
    using (var probe = new HttpClient())
    {
        using var ready = await probe.GetAsync(new Uri(orders.ProbeAddress, "/healthz/ready"), cancel.Token);
        var readyText = await ready.Content.ReadAsStringAsync(cancel.Token);
        Console.WriteLine($"      GET {orders.ProbeAddress}healthz/ready (no certificate) -> HTTP {(int)ready.StatusCode} {readyText}");
        Expect(ready.StatusCode == HttpStatusCode.OK && readyText == "Healthy", "Orders is ready, and a probe needs no client certificate");
    }

    var health = await GetJsonAsync(factory.CreateClient("orders"), "/healthz", cancel.Token);
    var serverCertificate = health?["entries"]?["mtls:server:certificate"];
    var data = serverCertificate?["data"];
    Console.WriteLine($"      GET /healthz (mTLS) -> {health?["status"]}: mtls:server:certificate {data?["subject"]}, SHA-256 {Short(data?["thumbprintSha256"]?.ToString())}, " +
        $"expires {data?["notAfter"]}, {(double?)data?["lifetimeRemaining"]:P0} of its lifetime left");
    Expect(health?["status"]?.ToString() == "Healthy" && data?["thumbprintSha256"] is not null, "the report names the served certificate and its lifetime");

    // 5. Live rotation under load.
    Step("5", "Live rotation of Inventory's server certificate and Orders' client certificate under load");
    var load = new Load(factory.CreateClient("orders"));
    var running = load.RunAsync(workers: 4, cancel.Token);
    await load.WaitForRequestsAsync(50, TimeSpan.FromSeconds(30));
    for (var round = 1; round <= 3; round++)
    {
        using var newInventory = pki.Issue("inventory");
        var clock = Stopwatch.StartNew();
        pki.Publish("inventory", newInventory);
        await WaitUntil(async () => await ServedThumbprintAsync(inventory.Port, pki) == newInventory.ThumbprintSha256, TimeSpan.FromSeconds(10), "Inventory serves its new certificate");
        var serverTime = clock.Elapsed;

        using var newOrders = pki.Issue("orders");
        clock.Restart();
        pki.Publish("orders", newOrders);
        await WaitUntil(async () => load.LastSeenThumbprint == newOrders.ThumbprintSha256, TimeSpan.FromSeconds(10), "Inventory sees Orders' new client certificate");
        var clientTime = clock.Elapsed;
        Console.WriteLine($"      round {round}: Inventory serves {Short(newInventory.ThumbprintSha256)} after {serverTime.TotalMilliseconds:F0} ms; " +
            $"Inventory sees Orders as {Short(newOrders.ThumbprintSha256)} after {clientTime.TotalMilliseconds:F0} ms");
    }

    await load.WaitForRequestsAsync(load.Succeeded + 50, TimeSpan.FromSeconds(30));
    load.Stop();
    await running;
    Console.WriteLine($"      {load.Succeeded} requests during 6 rotations, {load.Failed} failed");
    foreach (var failure in load.Failures.Take(5))
    {
        Console.WriteLine($"        failure: {failure}");
    }

    Expect(load.Failed == 0 && load.Succeeded > 0, "zero failed requests across the rotations");
}
catch (Exception e) when (e is not OperationCanceledException)
{
    failures.Add(e.Message);
    Console.WriteLine($"      FAILED: {e}");
    foreach (var service in services)
    {
        Console.WriteLine($"      last output of {service.Name}:\n{service.Output()}");
    }
}
finally
{
    StopAll();
}

Console.WriteLine();
if (failures.Count == 0 && !cancel.IsCancellationRequested)
{
    Console.WriteLine("Demo passed: every step behaved as expected.");
    return 0;
}

Console.WriteLine($"Demo FAILED ({failures.Count} step(s)):");
foreach (var failure in failures)
{
    Console.WriteLine($"  - {failure}");
}

return 1;

void StopAll()
{
    foreach (var service in services)
    {
        service.Dispose();
    }
}

void Step(string number, string title)
{
    Console.WriteLine();
    Console.WriteLine($"[{number}] {title}");
}

void Expect(bool condition, string what)
{
    Console.WriteLine(condition ? $"      OK   {what}" : $"      FAIL {what}");
    if (!condition)
    {
        failures.Add(what);
    }
}

static string Short(string? thumbprint) => thumbprint is { Length: > 12 } ? thumbprint[..12] + "…" : thumbprint ?? "?";

static string Trim(string? line)
{
    if (line is null)
    {
        return "(no rejection logged)";
    }

    var at = line.IndexOf("Rejected", StringComparison.Ordinal);
    var text = at >= 0 ? line[at..] : line;
    return text.Length > 220 ? text[..220] + "…" : text;
}

static async Task<JsonObject?> GetJsonAsync(HttpClient client, string path, CancellationToken cancellationToken)
{
    using var response = await client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
    var body = await response.Content.ReadAsStringAsync(cancellationToken);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"GET {path} returned HTTP {(int)response.StatusCode}: {body}");
    }

    return JsonNode.Parse(body) as JsonObject;
}

static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what)
{
    var clock = Stopwatch.StartNew();
    while (!await condition())
    {
        if (clock.Elapsed > timeout)
        {
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting until {what}");
        }

        await Task.Delay(20);
    }
}

// The certificate Inventory presents on a fresh handshake (no resumption), checked against the dev CA.
static async Task<string?> ServedThumbprintAsync(int port, DevPki pki)
{
    using var tcp = new TcpClient();
    await tcp.ConnectAsync(IPAddress.Loopback, port);
    await using var ssl = new SslStream(tcp.GetStream());
    using var demo = pki.Issue("demo");
    string? served = null;
    try
    {
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            AllowTlsResume = false,
            ClientCertificateContext = SslStreamCertificateContext.Create(demo.Certificate, demo.IntermediatesCollection(), offline: true),
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                served = certificate is null ? null : Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
                return certificate is not null && pki.Issuing.Certificate.Subject == certificate.Issuer;
            },
        });
    }
    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
    {
    }

    return served;
}

static ServiceProvider Clients(DevPki pki, Uri inventory, Uri orders)
{
    var services = new ServiceCollection();
    services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
    var (rogueCa, rogue) = DevPki.CreateRogue();
    void Add(string name, Uri baseAddress, string? certificateDirectory, TestCertificate? inline, string expectedServer) =>
        services.AddMtlsHttpClient(name, o =>
        {
            o.BaseAddress = baseAddress;
            if (certificateDirectory is not null)
            {
                o.Certificate.Directory = certificateDirectory;
            }
            else
            {
                o.Certificate.Pem = inline!.ExportCertificatePem() + inline.ExportKeyPem();
                o.TrustedCa.Pem = pki.CaPem;
            }

            o.ExpectedServer = expectedServer;
            o.Resilience.Enabled = false; // the demo shows raw outcomes
            o.Reload.Watch = false;
        });
    Add("orders", orders, pki.Folder("demo"), null, DevPki.OrdersId);
    Add("billing", inventory, pki.Folder("billing"), null, DevPki.InventoryId);
    Add("rogue", inventory, null, rogue, DevPki.InventoryId);
    var provider = services.BuildServiceProvider();
    rogueCa.Dispose();
    return provider;
}

/// <summary>Background load on Orders /orders/check; remembers which Orders thumbprint Inventory saw last.</summary>
internal sealed class Load(HttpClient client)
{
    private readonly CancellationTokenSource _stop = new();
    private long _succeeded;
    private long _failed;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Failed => Interlocked.Read(ref _failed);

    public List<string> Failures { get; } = [];

    public string? LastSeenThumbprint { get; private set; }

    public Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        return Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!linked.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri("/orders/check", UriKind.Relative), CancellationToken.None);
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    var json = JsonNode.Parse(body);
                    if (response.StatusCode == HttpStatusCode.OK && (int?)json?["inventoryStatus"] == 200)
                    {
                        LastSeenThumbprint = json?["inventorySaw"]?["thumbprintSha256"]?.ToString();
                        Interlocked.Increment(ref _succeeded);
                    }
                    else
                    {
                        Fail($"HTTP {(int)response.StatusCode}: {body}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    Fail(e.Message);
                }
            }
        })));
    }

    public void Stop() => _stop.Cancel();

    public async Task WaitForRequestsAsync(long count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Succeeded + Failed < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"only {Succeeded + Failed} requests completed in {timeout.TotalSeconds:F0} s");
            }

            await Task.Delay(20);
        }
    }

    private void Fail(string what)
    {
        Interlocked.Increment(ref _failed);
        lock (Failures)
        {
            Failures.Add(what);
        }
    }
}
