using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Testing.Tests;

public sealed class RotationSimulatorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtls-simulators-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Kubernetes_volume_has_the_kubelet_layout_and_swaps_data_atomically()
    {
        using var root = TestPki.CreateRoot();
        using var first = root.IssueLocalhostServer();
        using var second = root.IssueLocalhostServer();
        var volume = KubernetesSecretVolume.Create(Path.Combine(_directory, "secret"));

        volume.WriteCertManagerSecret(first, root.ExportCertificatePem());
        var firstData = new FileInfo(Path.Combine(volume.Directory, "..data")).LinkTarget;
        volume.WriteCertManagerSecret(second, root.ExportCertificatePem());

        var data = new FileInfo(Path.Combine(volume.Directory, "..data")).LinkTarget;
        Assert.NotNull(data);
        Assert.StartsWith("..", data, StringComparison.Ordinal);
        Assert.NotEqual(firstData, data);
        Assert.False(Directory.Exists(Path.Combine(volume.Directory, firstData!)));
        Assert.Equal(Path.Combine("..data", "tls.crt"), new FileInfo(Path.Combine(volume.Directory, "tls.crt")).LinkTarget);
        Assert.Equal(second.ThumbprintSha256, X509Certificate2.CreateFromPemFile(Path.Combine(volume.Directory, "tls.crt"), Path.Combine(volume.Directory, "tls.key")).GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
        Assert.False(File.Exists(Path.Combine(volume.Directory, "..data_tmp")));
    }

    [Fact]
    public void Spiffe_helper_writes_in_order_and_in_place()
    {
        using var root = TestPki.CreateRoot();
        using var first = root.IssueClient("orders", "spiffe://example.org/ns/default/sa/orders");
        using var second = root.IssueClient("orders", "spiffe://example.org/ns/default/sa/orders");
        var writer = new SpiffeHelperWriter(Path.Combine(_directory, "svid"));
        writer.Write(first, root.ExportCertificatePem());
        var keyPath = Path.Combine(writer.Directory, SpiffeHelperWriter.KeyFile);
        var inode = File.GetLastWriteTimeUtc(keyPath);

        var states = new List<string>();
        writer.Write(second, root.ExportCertificatePem(), () => states.Add(File.ReadAllText(keyPath)));

        // After the certificate, the key is still the old one: the torn state a reader must not serve.
        Assert.Equal(first.ExportKeyPem(), states[0]);
        Assert.Equal(second.ExportKeyPem(), states[1]);
        Assert.True(File.GetLastWriteTimeUtc(keyPath) >= inode);
    }

    [Fact]
    public void In_place_partial_write_leaves_half_a_file()
    {
        var path = Path.Combine(_directory, "half.pem");
        InPlaceFileWriter.Write(path, "0123456789");
        InPlaceFileWriter.WritePartially(path, "abcdefghij", 0.5);
        Assert.Equal("abcde", File.ReadAllText(path));
    }
}
