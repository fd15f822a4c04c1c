using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

/// <summary>The watched sources against the ways real tools replace files: kubelet, spiffe-helper, in-place writes.</summary>
public sealed class RotationSourceTests : IDisposable
{
    private readonly TestCertificateAuthority _root = TestPki.CreateRoot("Fleet Root");
    private readonly string _directory = Directory.CreateTempSubdirectory("mtls-rotation-source-").FullName;
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var d in _disposables)
        {
            d.Dispose();
        }

        _root.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Kubernetes_data_symlink_swap_is_seen_and_old_data_folders_are_not_watched()
    {
        var volume = KubernetesSecretVolume.Create(Path.Combine(_directory, "tls"));
        var first = Issue("inventory");
        volume.WriteCertManagerSecret(first, _root.ExportCertificatePem());
        var (factory, _) = Services();
        var options = new CertificateSourceOptions { Directory = volume.Directory, Layout = CertificateDirectoryLayout.CertManager };
        var source = factory.GetCertificateSource("server", options, Fast());
        var trust = factory.GetTrustBundleSource("server", new TrustedCaOptions(), options, Fast());
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.True(trust.Current.Contains(_root.Certificate));

        for (var i = 0; i < 5; i++)
        {
            var fired = false;
            using var registration = source.GetChangeToken().RegisterChangeCallback(_ => fired = true, null);
            var next = Issue("inventory");
            volume.WriteCertManagerSecret(next, _root.ExportCertificatePem());
            await Eventually(() => source.Current.ThumbprintSha256 == next.ThumbprintSha256 && fired, $"rotation {i} is served and the change token fires");
        }

        // One folder for the mount, one for the current data folder: old ..2026_… folders are dropped.
        Assert.InRange(((IReloadingSource)source).WatchedFolders.Count, 1, 2);
        Assert.Equal(6, volume.Updates);
    }

    [Fact]
    public async Task Torn_spiffe_helper_write_is_never_served()
    {
        var writer = new SpiffeHelperWriter(Path.Combine(_directory, "svid"));
        var first = Issue("orders");
        writer.Write(first, _root.ExportCertificatePem());
        var (factory, logs) = Services();
        var reload = Fast();
        reload.MaxRetries = 1000; // keep retrying while the test holds the torn state
        var source = factory.GetCertificateSource("client:inventory", new CertificateSourceOptions { Directory = writer.Directory, Layout = CertificateDirectoryLayout.SpiffeHelper }, reload);
        var served = new List<string>();
        using var watch = Microsoft.Extensions.Primitives.ChangeToken.OnChange(source.GetChangeToken, () =>
        {
            lock (served)
            {
                served.Add(source.Current.ThumbprintSha256);
            }
        });

        var next = Issue("orders");
        writer.WriteCertificate(next); // new certificate, old key: the torn state
        await Eventually(() => logs.GetSnapshot().Any(r => r.Id.Id == 403), "the source notices the pair does not match and retries");
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.True(source.Current.Certificate.HasPrivateKey);

        writer.WriteKey(next);
        writer.WriteBundle(_root.ExportCertificatePem());
        await Eventually(() => source.Current.ThumbprintSha256 == next.ThumbprintSha256, "the consistent pair is served");
        lock (served)
        {
            Assert.All(served, t => Assert.Equal(next.ThumbprintSha256, t));
        }
    }

    [Fact]
    public async Task Rewriting_identical_content_does_not_fire_the_change_token()
    {
        var cert = Issue("inventory");
        var (certPath, keyPath) = Write(cert);
        var (factory, logs) = Services();
        var source = factory.GetCertificateSource("server", new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, Fast());
        var fired = false;
        using var registration = source.GetChangeToken().RegisterChangeCallback(_ => fired = true, null);

        InPlaceFileWriter.Write(certPath, cert.ExportCertificatePem());
        await Eventually(() => logs.GetSnapshot().Any(r => r.Id.Id == 404), "the unchanged content is noticed");

        Assert.False(fired);
        Assert.Equal(0, ((IReloadingSource)source).Version);
    }

    [Fact]
    public async Task A_corrupt_file_keeps_the_old_material_and_reports_the_failure()
    {
        var cert = Issue("inventory");
        var (certPath, keyPath) = Write(cert);
        var (factory, logs) = Services();
        var source = factory.GetCertificateSource("server", new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, Fast());

        InPlaceFileWriter.WritePartially(certPath, Issue("inventory").ExportCertificatePem(), 0.5);
        await Eventually(() => logs.GetSnapshot().Any(r => r.Id.Id == 402), "the failed reload is logged");

        Assert.Equal(cert.ThumbprintSha256, source.Current.ThumbprintSha256);
        var reloading = (IReloadingSource)source;
        Assert.NotNull(reloading.LastError);
        Assert.Contains(certPath, reloading.LastError!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_the_key_file_keeps_the_old_material()
    {
        var cert = Issue("inventory");
        var (certPath, keyPath) = Write(cert);
        var (factory, logs) = Services();
        var source = factory.GetCertificateSource("server", new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, Fast());

        File.Delete(keyPath);
        await Eventually(() => logs.GetSnapshot().Any(r => r.Id.Id == 402), "the failed reload is logged");
        Assert.Equal(cert.ThumbprintSha256, source.Current.ThumbprintSha256);

        // The key coming back (with a new pair) is picked up again.
        var next = Issue("inventory");
        next.WritePem(certPath, keyPath);
        await Eventually(() => source.Current.ThumbprintSha256 == next.ThumbprintSha256, "the new pair is served");
    }

    [Fact]
    public void Polling_picks_up_changes_when_watching_is_off()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cert = Issue("inventory");
        var (certPath, keyPath) = Write(cert);
        var (factory, _) = Services(time);
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromSeconds(30), RetryDelay = TimeSpan.FromSeconds(1) };
        var source = factory.GetCertificateSource("server", new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, reload);

        var next = Issue("inventory");
        next.WritePem(certPath, keyPath);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(cert.ThumbprintSha256, source.Current.ThumbprintSha256);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(next.ThumbprintSha256, source.Current.ThumbprintSha256);
    }

    [Fact]
    public async Task Trust_bundle_overlap_then_removal()
    {
        using var nextRoot = TestPki.CreateRoot("Next Root");
        var path = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(path, _root.ExportCertificatePem());
        var (factory, _) = Services();
        var trust = factory.GetTrustBundleSource("server", new TrustedCaOptions { Path = path }, reload: Fast());

        FileWriter.WriteAtomically(path, _root.ExportCertificatePem() + nextRoot.ExportCertificatePem());
        await Eventually(() => trust.Current.Anchors.Count == 2, "both CAs are pinned side by side");

        InPlaceFileWriter.Write(path, nextRoot.ExportCertificatePem());
        await Eventually(() => trust.Current.Anchors.Count == 1 && trust.Current.Contains(nextRoot.Certificate), "the old CA is removed");
        Assert.False(trust.Current.Contains(_root.Certificate));
    }

    private static MtlsReloadOptions Fast() => new() { DebounceDelay = TimeSpan.FromMilliseconds(20), RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 };

    private (MtlsSourceFactory Factory, FakeLogCollector Logs) Services(TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddMtlsCore();
        var provider = services.BuildServiceProvider();
        _disposables.Add(provider);
        return (provider.GetRequiredService<MtlsSourceFactory>(), provider.GetFakeLogCollector());
    }

    private TestCertificate Issue(string name)
    {
        var cert = _root.IssueLocalhostServer(name);
        _disposables.Add(cert);
        return cert;
    }

    private (string Certificate, string Key) Write(TestCertificate cert)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, Guid.NewGuid().ToString("N"))).FullName;
        var certPath = Path.Combine(folder, "tls.crt");
        var keyPath = Path.Combine(folder, "tls.key");
        cert.WritePem(certPath, keyPath);
        return (certPath, keyPath);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }
}
