using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

/// <summary>Issue 12 item 7: load errors say what is really wrong.</summary>
public sealed class LoadErrorMessageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-load-messages-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Load_DirectoryWhereTheCertificateFileShouldBe_SaysItIsADirectory()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "tls.crt")).FullName;

        var error = Assert.Throws<CertificateLoadException>(() => CertificateMaterialLoader.Load(new CertificateSourceOptions { Path = folder, KeyPath = folder }));

        Assert.Contains("is a directory, not a file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("access denied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_DirectoryWhereTheTrustBundleShouldBe_SaysItIsADirectory()
    {
        var error = Assert.Throws<CertificateLoadException>(() => TrustBundle.LoadFile(_dir));
        Assert.Contains("is a directory, not a file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OneCorruptedCharacterInsideACompletePemBlock_SaysCorruptedNotIncomplete()
    {
        using var root = TestPki.CreateRoot("Corruption Root");
        using var issuing = root.CreateIntermediate("Corruption CA");
        using var leaf = issuing.IssueClient("corrupted");
        var certPath = Path.Combine(_dir, "corrupted.crt");
        var keyPath = Path.Combine(_dir, "corrupted.key");
        leaf.WritePem(certPath, keyPath);
        var pem = File.ReadAllText(certPath).ToCharArray();
        var secondBlock = new string(pem).IndexOf("-----BEGIN CERTIFICATE-----", 10, StringComparison.Ordinal);
        pem[secondBlock + 100] = '*'; // one damaged base64 character inside the intermediate's block
        File.WriteAllText(certPath, new string(pem));

        var error = Assert.Throws<CertificateLoadException>(() => CertificateMaterialLoader.Load(new CertificateSourceOptions { Path = certPath, KeyPath = keyPath }));

        Assert.Contains("complete PEM block that does not decode", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("incomplete", error.Message, StringComparison.Ordinal);
    }
}
