using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Http.Internal;
using Mtls.Extensions.Testing;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// A client whose certificate and pinned CA come from one cert-manager folder (the CA from its <c>ca.crt</c>): kubelet's
/// <c>..data</c> swap renews both at once, and the client must recycle its handler once, straight to the new pair.
/// </summary>
public sealed class MtlsClientHandlerPoolFolderTests : IDisposable
{
    private const string Name = "inventory";
    private static readonly TimeSpan Poll = TimeSpan.FromMinutes(1);

    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-client-folder-").FullName;
    private readonly List<IDisposable> _owned = [];
    private readonly FakeTimeProvider _time = new(TimeProvider.System.GetUtcNow());
    private ServiceProvider? _provider;

    public void Dispose()
    {
        _provider?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void MtlsClientHandlerPool_DataSwapRenewingCertificateAndCa_OneRecycleStraightToTheNewPair()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var (firstRoot, firstLeaf) = NewHierarchy(0);
        volume.WriteCertManagerSecret(firstLeaf);
        var pool = CreatePool();
        Assert.Equal(1, pool.Generation);
        var written = new Dictionary<string, string>(StringComparer.Ordinal) { [firstLeaf.ThumbprintSha256] = TrustHash(firstRoot) };

        const int Swaps = 5;
        for (var i = 1; i <= Swaps; i++)
        {
            // cert-manager reissued under a rotated CA: tls.crt, tls.key and ca.crt change in one ..data swap.
            var (root, leaf) = NewHierarchy(i);
            written[leaf.ThumbprintSha256] = TrustHash(root);
            Assert.True(volume.WriteCertManagerSecret(leaf));

            _time.Advance(Poll); // the poll reads the folder and notifies synchronously

            Assert.Equal(1 + i, pool.Generation);
            Assert.Equal(leaf.ThumbprintSha256, pool.CurrentMaterial.ThumbprintSha256);
            Assert.Equal(TrustHash(root), pool.CurrentTrust.ContentHash);
        }

        // Every handler ever built pairs a certificate with the CA written beside it: never the new certificate with the old CA.
        var recycles = Logs(452);
        Assert.Equal(Swaps, recycles.Count);
        foreach (var recycle in recycles)
        {
            var thumbprint = recycle.GetStructuredStateValue("Thumbprint")!;
            Assert.Equal(written[thumbprint], recycle.GetStructuredStateValue("TrustHash"));
        }
    }

    [Fact]
    public void MtlsClientHandlerPool_DataSwapRenewingOnlyTheCertificate_OneRecycleSameTrust()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var (root, first) = NewHierarchy(0);
        volume.WriteCertManagerSecret(first);
        var pool = CreatePool();
        var trust = pool.CurrentTrust;
        var renewed = root.IssueClient("orders-renewed", ClientPki.OrdersId);
        _owned.Add(renewed);

        volume.WriteCertManagerSecret(renewed); // ca.crt is rewritten with the same root
        _time.Advance(Poll);

        Assert.Equal(2, pool.Generation);
        Assert.Equal(renewed.ThumbprintSha256, pool.CurrentMaterial.ThumbprintSha256);
        Assert.Same(trust, pool.CurrentTrust);
        Assert.Single(Logs(452));
    }

    // The folder's certificate is an SVID of example.org, so its ca.crt is read as example.org's bundle (one bundle per trust domain).
    private static string TrustHash(TestCertificateAuthority root) =>
        TrustBundle.CreateForTrustDomains(new Dictionary<string, IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>> { ["example.org"] = [root.Certificate] }, plainAnchors: [root.Certificate]).ContentHash;

    private (TestCertificateAuthority Root, TestCertificate Leaf) NewHierarchy(int generation)
    {
        var root = TestPki.CreateRoot($"Folder Root {generation}");
        var leaf = root.IssueClient($"orders-{generation}", ClientPki.OrdersId);
        _owned.Add(leaf);
        _owned.Add(root);
        return (root, leaf);
    }

    private MtlsClientHandlerPool CreatePool()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = new Uri("https://localhost/");
            o.Certificate.Directory = _dir;
            o.Certificate.Layout = CertificateDirectoryLayout.CertManager;
            o.ExpectedServer = ClientPki.InventoryId;
            o.Reload.Watch = false;
            o.Reload.PollInterval = Poll;
        });
        _provider = services.BuildServiceProvider();
        return _provider.GetRequiredService<MtlsClientHandlerPools>().Get(Name);
    }

    private List<FakeLogRecord> Logs(int eventId) =>
        _provider!.GetRequiredService<FakeLogCollector>().GetSnapshot().Where(l => l.Id.Id == eventId).ToList();
}
