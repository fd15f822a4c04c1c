using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.Tests.Revocation;

/// <summary>
/// CRLs nobody here wrote: a PKI run by <c>openssl ca</c>, CRLs from <c>openssl ca -gencrl</c> (PEM, several per file) and
/// <c>openssl crl -outform DER</c> (DER, concatenated), read from files and applied by the validator.
/// </summary>
public sealed class OpensslCrlInteropTests
{
    private static PeerValidationResult Validate(string leafPath, string caPath, RevocationFiles files, Action<MtlsRevocationOptions>? configure = null)
    {
        var options = new MtlsRevocationOptions();
        configure?.Invoke(options);
        using var leaf = X509CertificateLoader.LoadCertificateFromFile(leafPath);
        var trust = TrustBundle.Create([X509CertificateLoader.LoadCertificateFromFile(caPath)]);
        var peer = new PeerValidationOptions { Revocation = new RevocationPolicy(files.Deny, files.Crls, options, "Mtls:Server:Revocation") };
        return new PeerCertificateValidator().Validate(leaf, null, trust, PeerRole.Client, peer);
    }

    private static RevocationFiles Load(string crlPath) =>
        RevocationFiles.Load(new CrlFileOptions { Path = crlPath }, new MtlsRevocationOptions(), "Mtls:Server:TrustedCa", "Mtls:Server:Revocation");

    [InteropFact("openssl")]
    public void OpensslGencrl_PemWithTwoCrlsAndDerConcatenated_RevokedRefusedOthersAccepted()
    {
        using var ca = new OpensslCa("Openssl Root");
        var (revoked, _) = ca.Issue("revoked");
        var (good, _) = ca.Issue("good");
        var older = ca.GenerateCrl("older.pem", lastUpdate: DateTimeOffset.UtcNow.AddMinutes(-10));
        ca.Revoke(revoked);
        var newer = ca.GenerateCrl("newer.pem");
        var pemPath = Path.Combine(ca.Directory, "both.pem");
        File.WriteAllText(pemPath, File.ReadAllText(older) + File.ReadAllText(newer));
        var derPath = Path.Combine(ca.Directory, "both.crl");
        File.WriteAllBytes(derPath, [.. File.ReadAllBytes(ca.ToDer(older, "older.der")), .. File.ReadAllBytes(ca.ToDer(newer, "newer.der"))]);

        foreach (var path in new[] { pemPath, derPath })
        {
            var files = Load(path);
            Assert.Equal(2, files.Crls.Count);
            var result = Validate(revoked, ca.CertificatePath, files);
            Assert.True(result.Reason == MtlsRejectionReason.Revoked, $"{path}: {result.Reason}: {result.Message}");
            Assert.Contains("serial 1000 is listed in the CRL", result.Message, StringComparison.Ordinal);
            var accepted = Validate(good, ca.CertificatePath, files);
            Assert.True(accepted.IsValid, $"{path}: {accepted.Message}");
        }
    }

    [InteropFact("openssl")]
    public void OpensslGencrl_PastNextUpdate_FailsClosedUnlessAllowStaleCrl()
    {
        using var ca = new OpensslCa("Openssl Root");
        var (good, _) = ca.Issue("good");
        var stale = ca.GenerateCrl("stale.pem", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        var files = Load(stale);

        var result = Validate(good, ca.CertificatePath, files);
        Assert.Equal(MtlsRejectionReason.RevocationUnknown, result.Reason);
        Assert.Contains("is stale", result.Message, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Revocation:AllowStaleCrl", result.Message, StringComparison.Ordinal);
        Assert.True(Validate(good, ca.CertificatePath, files, o => o.AllowStaleCrl = true).IsValid);
        Assert.True(Validate(good, ca.CertificatePath, files, o => o.CrlGracePeriod = TimeSpan.FromDays(2)).IsValid);
    }

    [InteropFact("openssl")]
    public void OpensslGencrl_OtherCasCrlWithTheSameName_RefusedAsUnverifiable()
    {
        using var ca = new OpensslCa("Openssl Root");
        using var impostor = new OpensslCa("Openssl Root");
        var (good, _) = ca.Issue("good");
        var forged = impostor.GenerateCrl("forged.pem");

        var result = Validate(good, ca.CertificatePath, Load(forged));

        Assert.Equal(MtlsRejectionReason.RevocationUnknown, result.Reason);
        Assert.Contains("does not verify", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedCrlFile_ThrowsNamingKeyAndFile()
    {
        var dir = Directory.CreateTempSubdirectory("mtls-crl-torn-").FullName;
        var path = Path.Combine(dir, "torn.pem");
        File.WriteAllText(path, "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n");
        var error = Assert.Throws<CertificateLoadException>(() => Load(path));
        Assert.Contains("Mtls:Server:TrustedCa:Crls:Path", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
