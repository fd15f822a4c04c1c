using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Certificates;

/// <summary><see cref="CertificateMaterial.Load"/>: the public way to load material once, with every check a source applies.</summary>
public sealed class CertificateMaterialTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-material-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Load_PemPair_ReturnsTheLeafWithItsIntermediate()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var issuing = root.CreateIntermediate("Fleet Issuing CA");
        using var leaf = issuing.IssueLeaf("inventory", o => o.ForServer());
        var (cert, key) = (Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key"));
        leaf.WritePem(cert, key);

        var material = CertificateMaterial.Load(new CertificateSourceOptions { Path = cert, KeyPath = key }, "Mtls:Server:Certificate", _time);

        Assert.Equal(leaf.ThumbprintSha256, material.ThumbprintSha256);
        Assert.Single(material.Intermediates);
        Assert.True(material.Certificate.HasPrivateKey);
        material.Release();
    }

    [Fact]
    public void Load_LeafExpiredOnTheGivenClock_ThrowsExpiredNamingTheKey()
    {
        using var root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var leaf = root.IssueLeaf("inventory", o => o.ForServer().ValidBetween(_time.GetUtcNow().AddHours(-1), _time.GetUtcNow().AddHours(1)));
        var (cert, key) = (Path.Combine(_dir, "tls.crt"), Path.Combine(_dir, "tls.key"));
        leaf.WritePem(cert, key);
        _time.Advance(TimeSpan.FromHours(2));

        var error = Assert.Throws<CertificateLoadException>(() => CertificateMaterial.Load(new CertificateSourceOptions { Path = cert, KeyPath = key }, "Mtls:Server:Certificate", _time));

        Assert.Equal(CertificateLoadErrorKind.Expired, error.Kind);
        Assert.Contains("Mtls:Server:Certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => CertificateMaterial.Load(null!));
    }
}
