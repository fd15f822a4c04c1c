using Microsoft.Extensions.Time.Testing;

namespace Mtls.Extensions.Testing.Tests;

public sealed class SpiffeHelperWriterTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-spiffe-helper-").FullName;
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;

    public SpiffeHelperWriterTests()
    {
        _root = TestPki.CreateRoot("Trust Domain Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("SPIRE Intermediate");
    }

    public void Dispose()
    {
        _issuing.Dispose();
        _root.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int CountCertificates(string path) => File.ReadAllText(path).Split("-----BEGIN CERTIFICATE-----").Length - 1;

    private CertificateSourceOptions Options => new() { Directory = _dir, Layout = CertificateDirectoryLayout.SpiffeHelper };

    [Fact]
    public void Write_ThreeFilesInSpiffeHelperOrder_WithItsFormatsAndModes()
    {
        using var svid = _issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        var writer = new SpiffeHelperWriter(_dir, _time);
        var order = new List<string>();
        writer.FileWritten = order.Add;

        writer.Write(svid);

        Assert.Equal([writer.CertificatePath, writer.KeyPath, writer.BundlePath], order);
        Assert.Equal(Path.Combine(_dir, "svid.pem"), writer.CertificatePath);
        Assert.Equal(svid.ExportCertificatePem(includeChain: true), File.ReadAllText(writer.CertificatePath));
        // The key file is one unencrypted PKCS#8 block that belongs to the certificate (no key material in the source).
        var keyPem = File.ReadAllText(writer.KeyPath);
        var block = System.Security.Cryptography.PemEncoding.Find(keyPem);
        Assert.Equal("PRIVATE KEY", keyPem[block.Label]);
        using (var pair = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(writer.CertificatePath), keyPem))
        {
            Assert.True(pair.HasPrivateKey);
        }
        Assert.Equal(_root.ExportCertificatePem(), File.ReadAllText(writer.BundlePath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(writer.KeyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(writer.CertificatePath));
        }

        var material = CertificateMaterial.Load(Options, timeProvider: _time);
        Assert.Equal(svid.ThumbprintSha256, material.ThumbprintSha256);
        Assert.Single(material.Intermediates);
    }

    [Fact]
    public void WriteCertificateOnly_TornStateNewCertificateOldKey_LoaderRefusesIt()
    {
        using var first = _issuing.IssueClient("first", "spiffe://example.org/ns/prod/sa/first");
        using var second = _issuing.IssueClient("second", "spiffe://example.org/ns/prod/sa/second");
        var writer = new SpiffeHelperWriter(_dir, _time);
        writer.Write(first);

        writer.WriteCertificateOnly(second);

        var torn = Assert.Throws<CertificateLoadException>(() => CertificateMaterial.Load(Options, timeProvider: _time));
        Assert.Equal(CertificateLoadErrorKind.KeyMismatch, torn.Kind);

        writer.WriteKey(second);
        Assert.Equal(second.ThumbprintSha256, CertificateMaterial.Load(Options, timeProvider: _time).ThumbprintSha256);
    }

    [Fact]
    public void Write_IsInPlace_SameFileRewritten()
    {
        using var first = _issuing.IssueClient("first", "spiffe://example.org/ns/prod/sa/first");
        using var second = _issuing.IssueClient("second", "spiffe://example.org/ns/prod/sa/second");
        var writer = new SpiffeHelperWriter(_dir, _time);
        writer.Write(first);
        // A handle opened before the rewrite sees the new bytes only if the same file (inode) was rewritten.
        using var before = new FileStream(writer.CertificatePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        writer.WriteCertificateOnly(second);

        using var reader = new StreamReader(before);
        Assert.Equal(second.ExportCertificatePem(), reader.ReadToEnd());
    }

    [Fact]
    public void AddIntermediatesToBundle_Enabled_LeafAloneInSvidFile()
    {
        using var svid = _issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        var writer = new SpiffeHelperWriter(_dir, _time) { AddIntermediatesToBundle = true };

        writer.Write(svid, _root.ExportCertificatePem());

        Assert.Equal(1, CountCertificates(writer.CertificatePath));
        Assert.Equal(2, CountCertificates(writer.BundlePath));
    }

    [Fact]
    public void WriteBundle_SeveralAuthorities_AllInTheFile()
    {
        using var next = TestPki.CreateRoot("Next Root", timeProvider: _time);
        var writer = new SpiffeHelperWriter(_dir, _time);

        writer.WriteBundle(_root, next);

        Assert.Equal(_root.ExportCertificatePem() + next.ExportCertificatePem(), File.ReadAllText(writer.BundlePath));
    }

    [Fact]
    public async Task WriteAsync_DelayBetweenFiles_OnTheTimeProvider()
    {
        using var svid = _issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        var writer = new SpiffeHelperWriter(_dir, _time) { DelayBetweenFiles = TimeSpan.FromSeconds(5) };
        var written = new List<string>();
        var secondFileWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.FileWritten = p =>
        {
            lock (written)
            {
                written.Add(Path.GetFileName(p));
                if (written.Count == 2)
                {
                    secondFileWritten.TrySetResult();
                }
            }
        };
        string[] Written() { lock (written) { return [.. written]; } }

        var task = writer.WriteAsync(svid, _root.ExportCertificatePem());

        Assert.Equal(["svid.pem"], Written());
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["svid.pem"], Written());
        _time.Advance(TimeSpan.FromSeconds(1));
        await secondFileWritten.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["svid.pem", "svid_key.pem"], Written());
        _time.Advance(TimeSpan.FromSeconds(5));
        await task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["svid.pem", "svid_key.pem", "svid_bundle.pem"], Written());
    }

    [Fact]
    public async Task WriteAsync_Cancelled_LeavesFolderTorn()
    {
        using var first = _issuing.IssueClient("first", "spiffe://example.org/ns/prod/sa/first");
        using var second = _issuing.IssueClient("second", "spiffe://example.org/ns/prod/sa/second");
        var writer = new SpiffeHelperWriter(_dir, _time);
        writer.Write(first);
        writer.DelayBetweenFiles = TimeSpan.FromSeconds(5);
        using var cts = new CancellationTokenSource();

        var task = writer.WriteAsync(second, _root.ExportCertificatePem(), cts.Token);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(second.ExportCertificatePem(), File.ReadAllText(writer.CertificatePath));
        Assert.Equal(first.ExportKeyPem(), File.ReadAllText(writer.KeyPath));
    }

    [Fact]
    public void SpiffeHelperWriter_NullArguments_Throw()
    {
        Assert.ThrowsAny<ArgumentException>(() => new SpiffeHelperWriter(null!));
        var writer = new SpiffeHelperWriter(_dir, _time);
        Assert.Throws<ArgumentNullException>(() => writer.Write(null!));
        Assert.Throws<ArgumentNullException>(() => writer.WriteCertificateOnly(null!));
        Assert.Throws<ArgumentNullException>(() => writer.WriteKey(null!));
        Assert.Throws<ArgumentNullException>(() => writer.WriteBundle((string)null!));
        Assert.Throws<ArgumentNullException>(() => writer.WriteBundle((IEnumerable<TestCertificateAuthority>)null!));
        using var svid = _issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        Assert.Throws<ArgumentNullException>(() => writer.Write(svid, null!));
    }
}
