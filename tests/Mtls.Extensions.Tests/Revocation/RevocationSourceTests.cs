using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Revocation;

/// <summary>The watched revocation files: visible to health and the expiry gauge, last good kept on a bad reload.</summary>
public sealed class RevocationSourceTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestCertificateAuthority _root;
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-revocation-source-").FullName;

    public RevocationSourceTests() => _root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);

    public void Dispose()
    {
        _root.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string CrlPem(int number)
    {
        var der = new CertificateRevocationListBuilder().Build(_root.Certificate, new BigInteger(number), _time.GetUtcNow().AddHours(6), HashAlgorithmName.SHA256, thisUpdate: _time.GetUtcNow());
        return PemEncoding.WriteString("X509 CRL", der) + "\n";
    }

    [Fact]
    public void GetRevocationSource_CrlDirectory_ListedWithCrlLifetimesAndKeptOnBadReload()
    {
        var crls = Directory.CreateDirectory(Path.Combine(_dir, "crls")).FullName;
        FileWriter.WriteAtomically(Path.Combine(crls, "root.crl"), CrlPem(1));
        var registry = new MtlsSourceRegistry();
        using var factory = new MtlsSourceFactory(_time, null, registry, null);
        var trusted = new TrustedCaOptions { Crls = { Directory = crls } };
        var revocation = new MtlsRevocationOptions { Deny = ["spiffe://example.org/ns/prod/sa/orders"] };

        var source = factory.GetRevocationSource("server", trusted, revocation, new MtlsReloadOptions { Watch = false, PollInterval = TimeSpan.Zero, MaxRetries = 0 }, "Mtls:Server");

        var status = Assert.Single(registry.Snapshot(), s => s.Kind == "revocation");
        var lifetime = Assert.Single(status.Lifetimes);
        Assert.Equal("crl", lifetime.Kind);
        Assert.Equal("CN=Fleet Root", lifetime.Subject);
        Assert.Equal(_time.GetUtcNow().AddHours(6).ToUnixTimeSeconds(), lifetime.NotAfter.ToUnixTimeSeconds());
        var peer = source.Apply(new PeerValidationOptions(), revocation, "Mtls:Server:Revocation");
        Assert.Single(peer.Revocation.Crls);
        Assert.Equal(1, peer.Revocation.Deny.Count);

        File.WriteAllText(Path.Combine(crls, "root.crl"), "-----BEGIN X509 CRL-----\nMII");
        Assert.False(((IReloadingSource)status).ReloadNow());
        Assert.Contains("Mtls:Server:TrustedCa:Crls:Directory", status.LastError!.Message, StringComparison.Ordinal);
        Assert.Single(source.Apply(new PeerValidationOptions(), revocation, "Mtls:Server:Revocation").Revocation.Crls);

        var changed = false;
        using var subscription = source.GetChangeToken().RegisterChangeCallback(_ => changed = true, null);
        FileWriter.WriteAtomically(Path.Combine(crls, "root.crl"), CrlPem(2));
        Assert.True(((IReloadingSource)status).ReloadNow());
        Assert.True(changed);
    }

    [Fact]
    public void GetRevocationSource_DenyPathLineMalformed_ThrowsNamingKeyAndLine()
    {
        var deny = Path.Combine(_dir, "deny.txt");
        File.WriteAllText(deny, "# leaked\nspiffe://example.org/ns/prod/sa/orders\nsha256:12\n");
        using var factory = new MtlsSourceFactory(_time, null, new MtlsSourceRegistry(), null);

        var error = Assert.Throws<CertificateLoadException>(() => factory.GetRevocationSource("server", new TrustedCaOptions(), new MtlsRevocationOptions { DenyPath = deny }, null, "Mtls:Server"));

        Assert.Contains("Mtls:Server:Revocation:DenyPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }
}
