using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;
using Xunit.Abstractions;

namespace Mtls.Extensions.Tests;

/// <summary>
/// The real reloading sources (through <see cref="MtlsSourceFactory"/>) against the rotation simulators:
/// kubelet's ..data swap, spiffe-helper's non-atomic writes and plain in-place rewrites.
/// </summary>
public sealed class RotationSourceTests : IDisposable
{
    private const string Name = "server";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-rotation-").FullName;
    private readonly TestCertificateAuthority _root = TestPki.CreateRoot("Rotation Root");
    private readonly TestCertificateAuthority _issuing;
    private readonly List<IDisposable> _disposables = [];
    private readonly SemaphoreSlim _logged = new(0);
    private ServiceProvider? _provider;

    public RotationSourceTests(ITestOutputHelper output)
    {
        _output = output;
        _issuing = _root.CreateIntermediate("Rotation Issuing");
    }

    public void Dispose()
    {
        _provider?.Dispose();
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _issuing.Dispose();
        _root.Dispose();
        _logged.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static CertificateSourceOptions CertManager(string dir) => new() { Directory = dir, Layout = CertificateDirectoryLayout.CertManager };

    private static CertificateSourceOptions SpiffeHelper(string dir) => new() { Directory = dir, Layout = CertificateDirectoryLayout.SpiffeHelper };

    /// <summary>Fake time starts at the real now, so that the test PKI's certificates are valid on both clocks.</summary>
    private static FakeTimeProvider NewFakeTime() => new(TimeProvider.System.GetUtcNow());

    /// <summary>Waits for a log event: the collector signals every record (no polling).</summary>
    private async Task WaitForLogAsync(int eventId, string what, int count = 1)
    {
        while (Logs(eventId).Count < count)
        {
            if (!await _logged.WaitAsync(Deadline))
            {
                throw new TimeoutException($"{what} did not happen within {Deadline.TotalSeconds} s.");
            }
        }
    }

    /// <summary>Waits until a condition holds, checking it again each time the source's change token fires (no polling).</summary>
    private static async Task UntilChangedAsync(Func<IChangeToken> token, Func<bool> condition, string what)
    {
        while (!condition())
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token().RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), fired))
            {
                if (condition())
                {
                    return;
                }

                try
                {
                    await fired.Task.WaitAsync(Deadline);
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"{what} did not happen within {Deadline.TotalSeconds} s.");
                }
            }
        }
    }

    /// <summary>
    /// Polls: only for states nothing signals (which folders are watched: the watchers move after the change token
    /// fired). Everything else waits on a change token or a log record.
    /// </summary>
    private static async Task Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(10);
        }
    }

    private TestCertificate Issue(string name, TestCertificateAuthority? issuer = null)
    {
        // An X509-SVID: the spiffe-helper layout serves only valid SVIDs (X509-SVID §4, §5).
        var certificate = (issuer ?? _issuing).IssueLocalhostServer(name, "spiffe://example.org/rotation/" + name);
        _disposables.Add(certificate);
        return certificate;
    }

    private static string[] WatchedFolders(object source) => source switch
    {
        FolderCertificateSource folder => folder.WatchedFolders,
        _ => ((ReloadingSource<CertificateMaterial>)source).WatchedFolders,
    };

    private MtlsSourceFactory Factory(TimeProvider time)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Debug).AddFakeLogging(o => o.OutputSink = _ => _logged.Release()));
        services.AddMtlsCore();
        MtlsSourceDeclaration.Declare(services, Name);
        services.AddHealthChecks().AddMtlsCertificates();
        _provider = services.BuildServiceProvider();
        return _provider.GetRequiredService<MtlsSourceFactory>();
    }

    private List<FakeLogRecord> Logs(int eventId) =>
        _provider!.GetRequiredService<FakeLogCollector>().GetSnapshot().Where(l => l.Id.Id == eventId).ToList();

    private async Task<HealthReportEntry> HealthAsync(string kind = "certificate") =>
        (await _provider!.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[$"mtls:{Name}:{kind}"];

    /// <summary>Counts every firing of a source's change token (re-registering as IOptionsMonitor does) and what Current was then.</summary>
    private ChangeRecorder Record(Func<IChangeToken> token, Func<string> current)
    {
        var recorder = new ChangeRecorder(token, current);
        _disposables.Add(recorder);
        return recorder;
    }

    [Fact]
    public async Task CertManager_DataSymlinkSwap_NewPairServedAndTokenFiresOnce()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var first = Issue("first");
        var second = Issue("second");
        volume.WriteCertManagerSecret(first);
        var factory = Factory(TimeProvider.System);
        var source = factory.GetCertificateSource(Name, CertManager(_dir));
        var trust = factory.GetTrustBundleSource(Name, new TrustedCaOptions(), CertManager(_dir));
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);
        var trustChanges = Record(trust.GetChangeToken, () => trust.Current.ContentHash);
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Single(source.Current.Intermediates);

        volume.WriteCertManagerSecret(second);

        await changes.WaitForCountAsync(1, "the change token firing after the ..data swap");
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal([second.ThumbprintSha256], changes.Seen);
        Assert.Single(source.Current.Intermediates);
        Assert.Equal(1, ((IReloadingSource)source).Version);
        Assert.Equal(0, trustChanges.Count); // ca.crt was swapped too, but holds the same root
        Assert.Single(Logs(401));
        // The mount folder and the current timestamped folder; the deleted one is no longer watched.
        await Eventually(() => WatchedFolders(source).Contains(volume.DataDirectory), Deadline, "the watcher moving to the new timestamped folder");
        Assert.Contains(_dir, WatchedFolders(source));
        Assert.Equal(2, WatchedFolders(source).Length);
    }

    [Fact]
    public async Task CertManager_SwapWithSameCertificate_TokenDoesNotFire()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var certificate = Issue("same");
        var files = new Dictionary<string, string>
        {
            ["tls.crt"] = certificate.ExportCertificatePem(),
            ["tls.key"] = certificate.ExportKeyPem(),
            ["ca.crt"] = _root.ExportCertificatePem(),
            ["revision"] = "1",
        };
        volume.Update(files);
        var factory = Factory(TimeProvider.System);
        var source = factory.GetCertificateSource(Name, CertManager(_dir));
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        // Another key of the secret changed: kubelet swaps ..data, but tls.crt/tls.key hold the same bytes.
        files["revision"] = "2";
        Assert.True(volume.Update(files));

        await WaitForLogAsync(404, "the reload after the swap");
        Assert.Equal(0, changes.Count);
        Assert.Equal(0, ((IReloadingSource)source).Version);
        Assert.Equal(certificate.ThumbprintSha256, source.Current.ThumbprintSha256);
    }

    [Fact]
    public async Task InPlaceRewrite_IdenticalBytes_TokenDoesNotFire()
    {
        var certificate = Issue("same");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        certificate.WritePem(certPath, keyPath);
        var factory = Factory(TimeProvider.System);
        var source = factory.GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath });
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        InPlaceFileWriter.Write(certPath, File.ReadAllBytes(certPath));
        InPlaceFileWriter.Write(keyPath, File.ReadAllBytes(keyPath));

        await WaitForLogAsync(404, "the reload after the rewrite");
        Assert.Equal(0, changes.Count);
        Assert.Equal(0, ((IReloadingSource)source).Version);
    }

    [Fact]
    public async Task ReloadingSource_BurstOfSwaps_DebouncedIntoOneReload()
    {
        // Real watcher, fake debounce clock: no reload can run until the test advances time, which it
        // does only after the burst; a source that reloaded per event would have replaced Current 5 times.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { PollInterval = TimeSpan.Zero };
        var volume = KubernetesSecretVolume.Create(_dir);
        var burst = Enumerable.Range(0, 5).Select(i => Issue($"burst-{i}")).ToList();
        volume.WriteCertManagerSecret(Issue("initial"));
        var source = Factory(time).GetCertificateSource(Name, CertManager(_dir), reload);
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        foreach (var certificate in burst)
        {
            volume.WriteCertManagerSecret(certificate);
        }

        await Eventually(
            () =>
            {
                time.Advance(reload.DebounceDelay);
                return source.Current.ThumbprintSha256 == burst[^1].ThumbprintSha256;
            },
            Deadline,
            "the debounced reload");
        Assert.Equal([burst[^1].ThumbprintSha256], changes.Seen);
        Assert.Equal(1, ((IReloadingSource)source).Version);
        Assert.Single(Logs(401));
    }

    [Fact]
    public async Task SpiffeHelper_TornWriteWatched_OldPairKeptUntilKeyArrives()
    {
        var writer = new SpiffeHelperWriter(_dir);
        var first = Issue("first");
        var second = Issue("second");
        writer.Write(first);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, SpiffeHelper(_dir));
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);
        using var sampler = new CurrentSampler(() => source.Current.ThumbprintSha256);

        writer.WriteCertificateOnly(second);
        await WaitForLogAsync(403, "a reload attempt on the torn folder");
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal(0, changes.Count);

        writer.WriteKey(second);
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == second.ThumbprintSha256, "the new pair");

        writer.WriteBundle(_root);
        var samples = await sampler.StopAsync();
        Assert.Equal([second.ThumbprintSha256], changes.Seen);
        // Every observation is the old pair, then the new pair: never anything else, never back.
        Assert.Equal([first.ThumbprintSha256, second.ThumbprintSha256], samples);
        Assert.Null(((IReloadingSource)source).LastError);
    }

    [Fact]
    public async Task SpiffeHelper_TornWritePolled_RetriesThenFailureVisibleThenNewPair()
    {
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromMinutes(1), RetryDelay = TimeSpan.FromMilliseconds(250), MaxRetries = 2 };
        var writer = new SpiffeHelperWriter(_dir);
        var first = Issue("first");
        var second = Issue("second");
        writer.Write(first);
        var source = Factory(time).GetCertificateSource(Name, SpiffeHelper(_dir), reload);
        var state = (IReloadingSource)source;
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        writer.WriteCertificateOnly(second);
        time.Advance(reload.PollInterval);      // read: torn, retry 1 scheduled
        time.Advance(reload.RetryDelay);        // retry 1: torn, retry 2 scheduled
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Null(state.LastError);           // still retrying: not a failure yet
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync()).Status);

        time.Advance(reload.RetryDelay);        // retry 2: torn, retries exhausted
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        var error = Assert.IsType<CertificateLoadException>(state.LastError);
        Assert.Equal(CertificateLoadErrorKind.KeyMismatch, error.Kind);
        Assert.Equal(HealthStatus.Degraded, (await HealthAsync()).Status);
        Assert.Equal(2, Logs(403).Count);
        Assert.Single(Logs(402));

        writer.WriteKey(second);
        time.Advance(reload.PollInterval);
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Null(state.LastError);
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync()).Status);
        Assert.Equal([second.ThumbprintSha256], changes.Seen);
    }

    [Fact]
    public async Task CorruptCertificate_Reloaded_OldMaterialKeptFailureInHealthCheckThenRecovers()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var first = Issue("first");
        var second = Issue("second");
        volume.WriteCertManagerSecret(first);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, CertManager(_dir), new MtlsReloadOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(20) });
        var state = (IReloadingSource)source;
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        volume.Update(new Dictionary<string, string>
        {
            ["tls.crt"] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            ["tls.key"] = second.ExportKeyPem(),
            ["ca.crt"] = _root.ExportCertificatePem(),
        });

        await WaitForLogAsync(402, "the failed reload");
        Assert.Equal(CertificateLoadErrorKind.NotACertificate, Assert.IsType<CertificateLoadException>(state.LastError).Kind);
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal(0, changes.Count);
        var health = await HealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("last reload failed", health.Description, StringComparison.Ordinal);
        Assert.Equal(first.ThumbprintSha256, health.Data["thumbprintSha256"]);
        Assert.DoesNotContain("PRIVATE KEY", health.Description, StringComparison.Ordinal);

        volume.WriteCertManagerSecret(second);
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == second.ThumbprintSha256, "recovery");
        Assert.Null(state.LastError);
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync()).Status);
    }

    [Fact]
    public async Task KeyFileDeleted_OldMaterialKept_ThenNewPairWhenWrittenAgain()
    {
        var first = Issue("first");
        var second = Issue("second");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        first.WritePem(certPath, keyPath);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, new MtlsReloadOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(20) });
        var state = (IReloadingSource)source;

        File.Delete(keyPath);

        await WaitForLogAsync(402, "the failed reload");
        Assert.Equal(CertificateLoadErrorKind.FileNotFound, Assert.IsType<CertificateLoadException>(state.LastError).Kind);
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);

        FileWriter.WriteAtomically(keyPath, second.ExportKeyPem());
        FileWriter.WriteAtomically(certPath, second.ExportCertificatePem());
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == second.ThumbprintSha256, "the new pair");
        Assert.Null(state.LastError);
    }

    [Fact]
    public async Task WatchDisabled_PollingPicksUpTheSwap_OnFakeTime()
    {
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromSeconds(30) };
        var volume = KubernetesSecretVolume.Create(_dir);
        var first = Issue("first");
        var second = Issue("second");
        volume.WriteCertManagerSecret(first);
        var factory = Factory(time);
        var source = factory.GetCertificateSource(Name, CertManager(_dir), reload);
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        volume.WriteCertManagerSecret(second);
        time.Advance(reload.PollInterval - TimeSpan.FromSeconds(1));
        Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal(0, changes.Count);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal([second.ThumbprintSha256], changes.Seen);

        for (var i = 0; i < 3; i++)
        {
            time.Advance(reload.PollInterval); // nothing changed: no more firings
        }

        Assert.Equal(1, changes.Count);
        Assert.Equal(3, Logs(404).Count);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task TrustBundle_CaRotationWatched_OverlapThenOldRemoved()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        using var nextRoot = TestPki.CreateRoot("Rotation Root 2");
        var oldLeaf = Issue("old", _root);
        var newLeaf = Issue("new", nextRoot);
        volume.WriteCertManagerSecret(oldLeaf);
        var factory = Factory(TimeProvider.System);
        var source = factory.GetCertificateSource(Name, CertManager(_dir));
        var trust = factory.GetTrustBundleSource(Name, new TrustedCaOptions(), CertManager(_dir));
        var changes = Record(trust.GetChangeToken, () => string.Join(",", trust.Current.Anchors.Select(a => a.Subject)));
        Assert.Equal(["CN=Rotation Root"], trust.Current.Anchors.Select(a => a.Subject));

        // Step 1: the new CA joins the bundle; the certificate is still issued by the old one.
        volume.WriteCertManagerSecret(oldLeaf, _root.ExportCertificatePem() + nextRoot.ExportCertificatePem());
        await changes.WaitForCountAsync(1, "the overlap bundle");
        Assert.Equal(["CN=Rotation Root", "CN=Rotation Root 2"], trust.Current.Anchors.Select(a => a.Subject));
        Assert.True(trust.Current.Contains(nextRoot.Certificate));

        // Step 2: the certificate moves to the new CA and the old CA leaves the bundle.
        volume.WriteCertManagerSecret(newLeaf, nextRoot.ExportCertificatePem());
        await changes.WaitForCountAsync(2, "the bundle without the old CA");
        Assert.Equal(["CN=Rotation Root 2"], trust.Current.Anchors.Select(a => a.Subject));
        Assert.False(trust.Current.Contains(_root.Certificate));
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == newLeaf.ThumbprintSha256, "the new certificate");
        Assert.Equal(["CN=Rotation Root,CN=Rotation Root 2", "CN=Rotation Root 2"], changes.Seen);
        Assert.Equal(2, Logs(405).Count);
    }

    [Fact]
    public async Task TrustBundle_InPlaceHalfWritten_TruncatedBundleNotServed()
    {
        // [new, old] rewritten in place: halfway, the file holds the new CA complete and the old CA cut off.
        // Serving that would drop the old CA while peers still use it.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromMinutes(1), MaxRetries = 0 };
        using var nextRoot = TestPki.CreateRoot("Rotation Root 2");
        var bundlePath = Path.Combine(_dir, "ca.crt");
        InPlaceFileWriter.Write(bundlePath, _root.ExportCertificatePem());
        var trust = Factory(time).GetTrustBundleSource(Name, new TrustedCaOptions { Path = bundlePath }, reload: reload);
        var overlap = nextRoot.ExportCertificatePem() + _root.ExportCertificatePem();

        using (var write = InPlaceFileWriter.BeginWrite(bundlePath, System.Text.Encoding.ASCII.GetBytes(overlap), nextRoot.ExportCertificatePem().Length + 40))
        {
            time.Advance(reload.PollInterval);
            Assert.Equal(["CN=Rotation Root"], trust.Current.Anchors.Select(a => a.Subject));
            Assert.NotNull(((IReloadingSource)trust).LastError);
            write.Complete();
        }

        time.Advance(reload.PollInterval);
        Assert.Equal(["CN=Rotation Root 2", "CN=Rotation Root"], trust.Current.Anchors.Select(a => a.Subject));
        Assert.Null(((IReloadingSource)trust).LastError);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CertificateInPlace_HalfWritten_LeafWithoutItsChainNotServed()
    {
        // Key first (atomically), then tls.crt rewritten in place: halfway, the new leaf is complete (and
        // matches the key) but its intermediate is cut off. Serving it would send an incomplete chain.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromMinutes(1), MaxRetries = 0 };
        var first = Issue("first");
        var second = Issue("second");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        first.WritePem(certPath, keyPath);
        var source = Factory(time).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, reload);
        FileWriter.WriteAtomically(keyPath, second.ExportKeyPem());

        var pem = second.ExportCertificatePem(includeChain: true);
        using (var write = InPlaceFileWriter.BeginWrite(certPath, System.Text.Encoding.ASCII.GetBytes(pem), second.ExportCertificatePem(includeChain: false).Length + 40))
        {
            time.Advance(reload.PollInterval);
            Assert.Equal(first.ThumbprintSha256, source.Current.ThumbprintSha256);
            write.Complete();
        }

        time.Advance(reload.PollInterval);
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Single(source.Current.Intermediates);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task FileSymlinks_RepointedToNewFolders_OldFoldersNoLongerWatched()
    {
        // tls.crt -> v3/tls.crt, then -> v4/tls.crt, ...: each target folder is watched while it is current.
        // Watchers of old folders must go: each one holds an inotify instance (128 per user by default).
        void Publish(int version, TestCertificate certificate)
        {
            var folder = Path.Combine(_dir, $"v{version}");
            certificate.WritePem(Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
            foreach (var name in (string[])["tls.key", "tls.crt"])
            {
                var temporary = Path.Combine(_dir, $".{name}.tmp");
                File.CreateSymbolicLink(temporary, Path.Combine(folder, name));
                File.Move(temporary, Path.Combine(_dir, name), overwrite: true);
            }

            if (version > 0)
            {
                Directory.Delete(Path.Combine(_dir, $"v{version - 1}"), recursive: true);
            }
        }

        Publish(0, Issue("v0"));
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions { Path = Path.Combine(_dir, "tls.crt"), KeyPath = Path.Combine(_dir, "tls.key") });
        Assert.Equal(2, WatchedFolders(source).Length);

        for (var version = 1; version <= 5; version++)
        {
            var next = Issue($"v{version}");
            Publish(version, next);
            await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == next.ThumbprintSha256, $"version {version}");
        }

        await Eventually(() => WatchedFolders(source).Contains(Path.Combine(_dir, "v5")), Deadline, "the watcher moving to v5");
        Assert.Equal(2, WatchedFolders(source).Length); // the link folder and v5: v0..v4 no longer watched
        Assert.Equal(5, ((IReloadingSource)source).Version);
    }

    [Fact]
    public async Task FolderSymlink_RepointedWithPathThroughIt_SeenWithoutPolling()
    {
        // Path = /certs/current/tls.crt with current -> v1, then current -> v2 (old versions kept): the switch
        // happens in /certs, one level above the file's folder.
        void Publish(int version, TestCertificate certificate)
        {
            var folder = Path.Combine(_dir, $"v{version}");
            certificate.WritePem(Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
            var current = Path.Combine(_dir, "current");
            if (Directory.Exists(current))
            {
                Directory.Delete(current);
            }

            Directory.CreateSymbolicLink(current, folder);
        }

        var first = Issue("v1");
        var second = Issue("v2");
        Publish(1, first);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions
        {
            Path = Path.Combine(_dir, "current", "tls.crt"),
            KeyPath = Path.Combine(_dir, "current", "tls.key"),
        }, new MtlsReloadOptions { PollInterval = TimeSpan.Zero });

        Publish(2, second);
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == second.ThumbprintSha256, "the folder symlink switch");

        // The watcher followed the link: a rewrite inside v2 (not v1) is seen too.
        var third = Issue("v2-rewritten");
        await Eventually(() => WatchedFolders(source).Contains(Path.Combine(_dir, "v2")), Deadline, "the watcher moving to v2");
        Assert.DoesNotContain(Path.Combine(_dir, "v1"), WatchedFolders(source));
        Assert.Contains(_dir, WatchedFolders(source));
        third.WritePem(Path.Combine(_dir, "v2", "tls.crt"), Path.Combine(_dir, "v2", "tls.key"));
        await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == third.ThumbprintSha256, "the rewrite inside the new folder");
    }

    [Fact]
    public async Task UnrelatedFileWrittenConstantly_RotationStillPickedUp_WithoutPolling()
    {
        // A busy file in the watched folder keeps resetting the debounce; the rotation must not wait forever.
        var first = Issue("first");
        var second = Issue("second");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        first.WritePem(certPath, keyPath);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, new MtlsReloadOptions { PollInterval = TimeSpan.Zero });
        using var stop = new CancellationTokenSource();
        var appends = 0;
        var noiseStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var noise = new Thread(() =>
        {
            var log = Path.Combine(_dir, "app.log");
            while (!stop.IsCancellationRequested)
            {
                File.AppendAllText(log, "busy\n");
                if (Interlocked.Increment(ref appends) == 10)
                {
                    noiseStarted.TrySetResult();
                }

                Thread.Sleep(10);
            }
        });
        noise.Start();

        try
        {
            await noiseStarted.Task.WaitAsync(Deadline);
            second.WritePem(certPath, keyPath);
            await UntilChangedAsync(source.GetChangeToken, () => source.Current.ThumbprintSha256 == second.ThumbprintSha256, "the rotation under constant unrelated writes");
        }
        finally
        {
            await stop.CancelAsync();
            noise.Join();
        }
    }

    [Fact]
    public void ChangeSignalsEvery50ms_ReadHappensWithinTenDebounceDelays_OnFakeTime()
    {
        // The debounce policy on its own, deterministically: signals keep arriving faster than the debounce
        // delay; the read must still happen, at the latest ten delays after the first signal.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero };
        var first = Issue("first");
        var second = Issue("second");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        first.WritePem(certPath, keyPath);
        var source = (ReloadingCertificateSource)Factory(time).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, reload);
        second.WritePem(certPath, keyPath);

        var elapsed = TimeSpan.Zero;
        source.OnChangeSignal();
        while (source.Current.ThumbprintSha256 != second.ThumbprintSha256 && elapsed < reload.DebounceDelay * 20)
        {
            time.Advance(reload.DebounceDelay / 2);
            elapsed += reload.DebounceDelay / 2;
            source.OnChangeSignal();
        }

        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        Assert.Equal(reload.DebounceDelay * 10, elapsed);

        // A lone signal is still read after one debounce delay, not earlier.
        var third = Issue("third");
        third.WritePem(certPath, keyPath);
        source.OnChangeSignal();
        time.Advance(reload.DebounceDelay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(third.ThumbprintSha256, source.Current.ThumbprintSha256);
    }

    [Fact]
    public async Task ChangeCallbackThrows_ReloadStillSucceeds_OthersNotified()
    {
        var volume = KubernetesSecretVolume.Create(_dir);
        var first = Issue("first");
        var second = Issue("second");
        volume.WriteCertManagerSecret(first);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, CertManager(_dir));
        using var faulty = source.GetChangeToken().RegisterChangeCallback(_ => throw new InvalidOperationException("subscriber bug"), null);
        var changes = Record(source.GetChangeToken, () => source.Current.ThumbprintSha256);

        volume.WriteCertManagerSecret(second);

        await changes.WaitForCountAsync(1, "the change");
        await WaitForLogAsync(407, "the callback failure log");
        Assert.Empty(Logs(402));
        Assert.Null(((IReloadingSource)source).LastError);
        Assert.Equal(second.ThumbprintSha256, source.Current.ThumbprintSha256);
    }

    [Theory]
    [InlineData(40)]   // inside the second block's header line
    [InlineData(200)]  // inside the second block's base64
    [InlineData(-20)]  // inside the second block's END line
    public void FirstLoad_PemCutOffInSecondBlock_FailsNamingTheFile(int cut)
    {
        var certificate = Issue("cut");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        certificate.WritePem(certPath, keyPath);
        var pem = File.ReadAllText(certPath);
        var leafLength = certificate.ExportCertificatePem(includeChain: false).Length;
        File.WriteAllText(certPath, pem[..(cut > 0 ? leafLength + cut : pem.Length + cut)]);

        var error = Assert.Throws<CertificateLoadException>(() => Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }));

        Assert.Contains("tls.crt", error.Message, StringComparison.Ordinal);
        Assert.Contains("incomplete PEM block", error.Message, StringComparison.Ordinal);
        Assert.Equal(CertificateLoadErrorKind.NotACertificate, error.Kind);
    }

    [Theory]
    [InlineData(CertificateDirectoryLayout.CertManager)]
    [InlineData(CertificateDirectoryLayout.SpiffeHelper)]
    public async Task TwentyRotations_EachSeenOnce_TimeToCurrentReported(CertificateDirectoryLayout layout)
    {
        // Real watcher, default debounce. Only correctness is asserted; the latency is written to the output.
        const int Rotations = 20;
        var certificates = Enumerable.Range(0, Rotations + 1).Select(i => Issue($"rotation-{i}")).ToList();
        Action<TestCertificate> write;
        if (layout == CertificateDirectoryLayout.CertManager)
        {
            var volume = KubernetesSecretVolume.Create(_dir);
            write = c => volume.WriteCertManagerSecret(c);
        }
        else
        {
            var writer = new SpiffeHelperWriter(_dir);
            write = writer.Write;
        }

        write(certificates[0]);
        var source = Factory(TimeProvider.System).GetCertificateSource(Name, new CertificateSourceOptions { Directory = _dir, Layout = layout });
        var changed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var changes = Record(source.GetChangeToken, () =>
        {
            var thumbprint = source.Current.ThumbprintSha256;
            changed.TryAdd(thumbprint, Stopwatch.GetTimestamp());
            return thumbprint;
        });

        var latencies = new List<TimeSpan>();
        for (var i = 1; i <= Rotations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            write(certificates[i]);
            var expected = certificates[i].ThumbprintSha256;
            await changes.WaitForCountAsync(i, $"rotation {i}");
            Assert.True(changed.ContainsKey(expected), $"rotation {i} changed to another certificate");
            latencies.Add(Stopwatch.GetElapsedTime(started, changed[expected]));
        }

        Assert.Equal(certificates.Skip(1).Select(c => c.ThumbprintSha256), changes.Seen);
        Assert.Equal(Rotations, ((IReloadingSource)source).Version);
        var sorted = latencies.Order().ToList();
        _output.WriteLine($"{layout}: write -> Current changed over {Rotations} rotations (debounce {new MtlsReloadOptions().DebounceDelay.TotalMilliseconds} ms): " +
            $"median {sorted[Rotations / 2].TotalMilliseconds:F0} ms, p90 {sorted[(int)(Rotations * 0.9) - 1].TotalMilliseconds:F0} ms, min {sorted[0].TotalMilliseconds:F0} ms, max {sorted[^1].TotalMilliseconds:F0} ms; " +
            $"torn-write retries {Logs(403).Count}; all: {string.Join(" ", latencies.Select(l => l.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public void CertManagerFolder_DataSwapRenewingCertificateAndCa_OneChangeBothPartsNewBeforeEitherNotifies()
    {
        // cert-manager reissued under a new CA: one ..data swap changes tls.crt, tls.key and ca.crt. Whoever is woken
        // by either source must already see both new values, and each source fires exactly once.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.FromMinutes(1) };
        var volume = KubernetesSecretVolume.Create(_dir);
        using var nextRoot = TestPki.CreateRoot("Rotation Root 2");
        var first = Issue("first", _root);
        var second = Issue("second", nextRoot);
        volume.WriteCertManagerSecret(first);
        var factory = Factory(time);
        var source = factory.GetCertificateSource(Name, CertManager(_dir), reload);
        var trust = factory.GetTrustBundleSource(Name, new TrustedCaOptions(), CertManager(_dir), reload);
        var pairs = new ConcurrentQueue<string>();
        string Pair() => $"{source.Current.ThumbprintSha256} + {trust.Current.Anchors[0].Subject}";
        var certificateChanges = Record(source.GetChangeToken, Pair);
        var trustChanges = Record(trust.GetChangeToken, Pair);

        volume.WriteCertManagerSecret(second);
        time.Advance(reload.PollInterval);

        var expected = $"{second.ThumbprintSha256} + CN=Rotation Root 2";
        Assert.Equal([expected], certificateChanges.Seen);
        Assert.Equal([expected], trustChanges.Seen);
        Assert.Equal(1, ((IReloadingSource)source).Version);
        Assert.Equal(1, ((IReloadingSource)trust).Version);
        Assert.Single(Logs(401));
        Assert.Single(Logs(405));

        // Only the CA changes: the certificate source stays quiet and keeps its material.
        var material = source.Current;
        volume.WriteCertManagerSecret(second, nextRoot.ExportCertificatePem() + _root.ExportCertificatePem());
        time.Advance(reload.PollInterval);
        Assert.Single(certificateChanges.Seen);
        Assert.Equal(2, trustChanges.Count);
        Assert.Same(material, source.Current);
        Assert.False(material.IsDisposed);
    }

    [Fact]
    public void ReloadNow_ChangeCallbackWaitsForAReloadOnAnotherThread_NotBlockedByTheReloadLock()
    {
        // A subscriber that reloads (or reads something that takes the source's lock) from another thread and waits for
        // it must not deadlock: the token fires after the reload lock is released.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero };
        var first = Issue("first");
        var second = Issue("second");
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        first.WritePem(certPath, keyPath);
        var source = (IReloadingSource)Factory(time).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, reload);
        var finished = false;
        using var registration = ((ICertificateSource)source).GetChangeToken().RegisterChangeCallback(
            _ => finished = Task.Run(source.ReloadNow).Wait(Deadline), null);
        second.WritePem(certPath, keyPath);

        Assert.True(source.ReloadNow());

        Assert.True(finished, "the reload started by the change callback was blocked by the reload lock");
    }

    [Fact]
    public void CertificateMaterial_TwentyRotations_RetiredDisposedOnlyAfterTheirLastLease()
    {
        // Every fifth material is leased as a handshake in flight would; rotation must retire the others at once and
        // keep the leased ones usable (a real handshake on a retired, leased context) until released.
        var time = NewFakeTime();
        var reload = new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero };
        var certPath = Path.Combine(_dir, "tls.crt");
        var keyPath = Path.Combine(_dir, "tls.key");
        Issue("rotation-0").WritePem(certPath, keyPath);
        var source = Factory(time).GetCertificateSource(Name, new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }, reload);
        var seen = new List<CertificateMaterial> { source.Current };
        var leased = new List<CertificateMaterial>();
        for (var i = 1; i <= 20; i++)
        {
            var previous = source.Current;
            if (i % 5 == 0)
            {
                Assert.True(previous.TryAcquire());
                leased.Add(previous);
            }

            Issue($"rotation-{i}").WritePem(certPath, keyPath);
            Assert.True(((IReloadingSource)source).ReloadNow());
            seen.Add(source.Current);
        }

        // A reload that reads the same files keeps the current material (the duplicate just read is disposed, unseen).
        Assert.False(((IReloadingSource)source).ReloadNow());
        var current = source.Current;
        Assert.Same(seen[^1], current);
        Assert.False(current.IsDisposed);
        foreach (var retired in seen.Take(seen.Count - 1).Except(leased))
        {
            Assert.True(retired.IsDisposed, $"{retired} was retired without a lease but not disposed");
            Assert.Equal(IntPtr.Zero, retired.Certificate.Handle);
        }

        foreach (var inUse in leased)
        {
            Assert.False(inUse.IsDisposed);
            Assert.True(HandshakeWorks(inUse, _root.Certificate), $"a handshake on the leased, retired {inUse} failed");
            inUse.Release();
            Assert.True(inUse.IsDisposed);
        }

        Assert.True(current.TryAcquire());
        current.Release();
        Assert.False(current.IsDisposed);
    }

    [Fact]
    public void TrustBundleLoadFile_BundleCutOffInSecondBlock_RefusedLikeTheReloadingSource()
    {
        // The public loader and the reloading sources read trust files the same way, torn-write check included.
        using var nextRoot = TestPki.CreateRoot("Rotation Root 2");
        var path = Path.Combine(_dir, "ca.crt");
        var first = nextRoot.ExportCertificatePem();
        File.WriteAllText(path, (first + _root.ExportCertificatePem())[..(first.Length + 40)]);

        var error = Assert.Throws<CertificateLoadException>(() => TrustBundle.LoadFile(path));

        Assert.Contains("incomplete PEM block", error.Message, StringComparison.Ordinal);
        Assert.Equal(CertificateLoadErrorKind.NotACertificate, error.Kind);
        File.WriteAllText(path, first + _root.ExportCertificatePem());
        Assert.Equal(["CN=Rotation Root 2", "CN=Rotation Root"], TrustBundle.LoadFile(path).Anchors.Select(a => a.Subject));
    }

    /// <summary>A TLS handshake in memory with <paramref name="material"/>'s context as the server certificate.</summary>
    private static bool HandshakeWorks(CertificateMaterial material, System.Security.Cryptography.X509Certificates.X509Certificate2 root)
    {
        var (clientStream, serverStream) = ConnectedStreams();
        using var client = new System.Net.Security.SslStream(clientStream);
        using var server = new System.Net.Security.SslStream(serverStream);
        var serverTask = server.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificateContext = material.Context });
        var chainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        chainPolicy.CustomTrustStore.Add(root);
        var clientTask = client.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = chainPolicy,
        });
        Task.WaitAll([serverTask, clientTask], Deadline);
        return client.IsAuthenticated && server.IsAuthenticated;
    }

    private static (Stream Client, Stream Server) ConnectedStreams()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var client = new System.Net.Sockets.TcpClient();
        client.Connect((System.Net.IPEndPoint)listener.LocalEndpoint);
        var server = listener.AcceptTcpClient();
        return (client.GetStream(), server.GetStream());
    }

    /// <summary>Re-registers on every firing, as <c>ChangeToken.OnChange</c> consumers do.</summary>
    private sealed class ChangeRecorder : IDisposable
    {
        private readonly ConcurrentQueue<string> _seen = new();
        private readonly SemaphoreSlim _changed = new(0);
        private readonly IDisposable _registration;

        public ChangeRecorder(Func<IChangeToken> token, Func<string> current) =>
            _registration = ChangeToken.OnChange(token, () =>
            {
                _seen.Enqueue(current());
                _changed.Release();
            });

        public int Count => _seen.Count;

        public string[] Seen => [.. _seen];

        /// <summary>Waits until the token fired <paramref name="count"/> times in all (signalled by each firing, no polling).</summary>
        public async Task WaitForCountAsync(int count, string what)
        {
            while (Count < count)
            {
                if (!await _changed.WaitAsync(Deadline))
                {
                    throw new TimeoutException($"{what} did not happen within {Deadline.TotalSeconds} s.");
                }
            }
        }

        public void Dispose()
        {
            _registration.Dispose();
            _changed.Dispose();
        }
    }

    /// <summary>Reads a value every millisecond on another thread, as handshakes would, keeping each distinct run once.</summary>
    private sealed class CurrentSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<List<string>> _task;

        public CurrentSampler(Func<string> read) => _task = Task.Run(() =>
        {
            var samples = new List<string>();
            while (!_stop.IsCancellationRequested)
            {
                var value = read();
                if (samples.Count == 0 || samples[^1] != value)
                {
                    samples.Add(value);
                }

                Thread.Sleep(1);
            }

            return samples;
        });

        public async Task<List<string>> StopAsync()
        {
            await _stop.CancelAsync();
            return await _task;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
