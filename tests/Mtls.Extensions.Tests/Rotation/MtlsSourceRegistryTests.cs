using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Rotation;

/// <summary>Readiness as the probes see it: every declared source loaded and none expired.</summary>
public sealed class MtlsSourceRegistryTests : IDisposable
{
    private static readonly MtlsReloadOptions NoWatching = new() { Watch = false, PollInterval = TimeSpan.Zero, MaxRetries = 0 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-registry-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void IsReady_NothingDeclared_IsTrue()
    {
        using var provider = CreateProvider(_ => { });

        Assert.True(provider.GetRequiredService<MtlsSourceRegistry>().IsReady());
    }

    [Fact]
    public void IsReady_DeclaredButNeverLoaded_IsFalse()
    {
        using var provider = CreateProvider(services => MtlsSourceRegistry.Declare(services, "server"));

        Assert.False(provider.GetRequiredService<MtlsSourceRegistry>().IsReady());
    }

    [Fact]
    public void IsReady_DeclaredAndLoaded_TrueUntilTheCertificateExpires()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var leaf = root.IssueLeaf("inventory", o => o.ForServer().ValidBetween(_time.GetUtcNow().AddHours(-1), _time.GetUtcNow().AddHours(1)));
        var (cert, key, ca) = (Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key"), Path.Combine(_dir, "ca.pem"));
        leaf.WritePem(cert, key);
        root.WriteCertificatePem(ca);
        using var provider = CreateProvider(services => MtlsSourceRegistry.Declare(services, "server"));
        var factory = provider.GetRequiredService<MtlsSourceFactory>();
        factory.GetCertificateSource("server", new CertificateSourceOptions { Path = cert, KeyPath = key }, NoWatching);
        factory.GetTrustBundleSource("server", new TrustedCaOptions { Path = ca }, reload: NoWatching);
        var registry = provider.GetRequiredService<MtlsSourceRegistry>();

        Assert.True(registry.IsReady());

        _time.Advance(TimeSpan.FromHours(2));

        Assert.False(registry.IsReady());
    }

    [Fact]
    public void IsReady_OnlyTheCertificateLoaded_IsFalse()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var leaf = root.IssueLeaf("inventory", o => o.ForServer());
        var (cert, key) = (Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key"));
        leaf.WritePem(cert, key);
        using var provider = CreateProvider(services => MtlsSourceRegistry.Declare(services, "server"));
        provider.GetRequiredService<MtlsSourceFactory>().GetCertificateSource("server", new CertificateSourceOptions { Path = cert, KeyPath = key }, NoWatching);

        Assert.False(provider.GetRequiredService<MtlsSourceRegistry>().IsReady());
    }

    [Fact]
    public void Declare_SameNameTwice_DeclaresOnce()
    {
        var services = new ServiceCollection();

        MtlsSourceRegistry.Declare(services, "client:inventory");
        MtlsSourceRegistry.Declare(services, "client:inventory");
        MtlsSourceRegistry.Declare(services, "server");

        Assert.Equal(2, services.Count);
    }

    [Fact]
    public void Declare_NullOrEmptyArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => MtlsSourceRegistry.Declare(null!, "server"));
        Assert.Throws<ArgumentNullException>(() => MtlsSourceRegistry.Declare(new ServiceCollection(), null!));
        Assert.Throws<ArgumentException>(() => MtlsSourceRegistry.Declare(new ServiceCollection(), string.Empty));
    }

    private ServiceProvider CreateProvider(Action<IServiceCollection> declare)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).AddLogging();
        services.AddMtlsCore();
        declare(services);
        return services.BuildServiceProvider();
    }
}
