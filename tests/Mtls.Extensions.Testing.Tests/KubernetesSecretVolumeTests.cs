using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Mtls.Extensions.Testing.Tests;

public sealed partial class KubernetesSecretVolumeTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly string _dir = Directory.CreateTempSubdirectory("mtls-k8s-volume-").FullName;
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;

    public KubernetesSecretVolumeTests()
    {
        _root = TestPki.CreateRoot("Volume Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("Volume Issuing");
    }

    public void Dispose()
    {
        _issuing.Dispose();
        _root.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"^\.\.2026_11_22_10_00_00\.\d{9}$")]
    private static partial Regex TimestampedName();

    private static string[] Entries(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void WriteCertManagerSecret_First_KubeletLayout()
    {
        using var leaf = _issuing.IssueLocalhostServer();
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        Assert.Null(volume.DataDirectory);

        Assert.True(volume.WriteCertManagerSecret(leaf));

        var entries = Entries(_dir);
        Assert.Equal(5, entries.Length); // ..2026_..., ..data, tls.crt, tls.key, ca.crt
        var tsName = Assert.Single(entries, e => e.StartsWith("..2", StringComparison.Ordinal));
        Assert.Matches(TimestampedName(), tsName);
        Assert.Equal(tsName, new FileInfo(Path.Combine(_dir, "..data")).LinkTarget);
        Assert.Equal(Path.Combine(_dir, tsName), volume.DataDirectory);
        Assert.DoesNotContain("..data_tmp", entries);
        foreach (var name in (string[])["tls.crt", "tls.key", "ca.crt"])
        {
            Assert.Equal("..data/" + name, new FileInfo(Path.Combine(_dir, name)).LinkTarget);
            Assert.True(File.Exists(Path.Combine(_dir, tsName, name)));
            Assert.Null(new FileInfo(Path.Combine(_dir, tsName, name)).LinkTarget); // the bytes live in the timestamped folder
        }

        Assert.Equal(leaf.ExportCertificatePem(includeChain: true), File.ReadAllText(volume.GetPath("tls.crt")));
        Assert.Equal(2, File.ReadAllText(volume.GetPath("tls.crt")).Split("BEGIN CERTIFICATE").Length - 1); // leaf + intermediate
        Assert.Equal(leaf.ExportKeyPem(), File.ReadAllText(volume.GetPath("tls.key")));
        Assert.Equal(_root.ExportCertificatePem(), File.ReadAllText(volume.GetPath("ca.crt")));
        Assert.Equal(1, volume.Generation);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(_dir, tsName, "tls.key")));
        }
    }

    [Fact]
    public void Update_NewPayload_SwapsDataLinkDeletesOldFolderKeepsVisibleLinks()
    {
        using var first = _issuing.IssueLocalhostServer("first");
        using var second = _issuing.IssueLocalhostServer("second");
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        volume.WriteCertManagerSecret(first);
        var oldData = volume.DataDirectory!;
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(volume.WriteCertManagerSecret(second));

        var newData = volume.DataDirectory!;
        Assert.NotEqual(oldData, newData);
        Assert.StartsWith("..2026_11_22_10_00_01.", Path.GetFileName(newData), StringComparison.Ordinal);
        Assert.False(Directory.Exists(oldData));
        Assert.Equal(5, Entries(_dir).Length);
        Assert.Equal("..data/tls.crt", new FileInfo(volume.GetPath("tls.crt")).LinkTarget);
        Assert.Equal(second.ExportCertificatePem(), File.ReadAllText(volume.GetPath("tls.crt")));
        Assert.Equal(2, volume.Generation);
    }

    [Fact]
    public void Update_IdenticalPayload_WritesNothing()
    {
        using var leaf = _issuing.IssueLocalhostServer();
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        volume.WriteCertManagerSecret(leaf);
        var data = volume.DataDirectory;

        Assert.False(volume.WriteCertManagerSecret(leaf));

        Assert.Equal(data, volume.DataDirectory);
        Assert.Equal(1, volume.Generation);
    }

    [Fact]
    public void Update_StepsInKubeletOrder_SwitchIsTheRename()
    {
        using var first = _issuing.IssueLocalhostServer("first");
        using var second = _issuing.IssueLocalhostServer("second");
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        volume.WriteCertManagerSecret(first);
        var oldData = volume.DataDirectory!;
        var seen = new List<(KubernetesSecretVolumeStep Step, string Certificate, bool OldFolderExists)>();
        volume.StepCompleted = step => seen.Add((step, File.ReadAllText(volume.GetPath("tls.crt")), Directory.Exists(oldData)));

        volume.WriteCertManagerSecret(second);

        Assert.Equal(
            [KubernetesSecretVolumeStep.DataDirectoryWritten, KubernetesSecretVolumeStep.UserVisibleLinksCreated, KubernetesSecretVolumeStep.DataLinkSwapped, KubernetesSecretVolumeStep.OldUserVisibleLinksRemoved, KubernetesSecretVolumeStep.OldDataDirectoryRemoved],
            seen.Select(s => s.Step));
        Assert.Equal(first.ExportCertificatePem(), seen[0].Certificate);
        Assert.Equal(first.ExportCertificatePem(), seen[1].Certificate);
        Assert.Equal(second.ExportCertificatePem(), seen[2].Certificate);
        Assert.True(seen[3].OldFolderExists);
        Assert.False(seen[4].OldFolderExists);
    }

    [Fact]
    public void Update_KeyRemovedFromPayload_VisibleLinkRemovedAndNestedKeysLinkTheirTopFolder()
    {
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        volume.Update(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["sub/c"] = "3" });
        Assert.Equal("..data/sub", new FileInfo(Path.Combine(_dir, "sub")).LinkTarget);
        Assert.Equal("3", File.ReadAllText(Path.Combine(_dir, "sub", "c")));

        volume.Update(new Dictionary<string, string> { ["a"] = "1", ["sub/c"] = "3" });

        Assert.False(File.Exists(Path.Combine(_dir, "b")));
        Assert.Null(new FileInfo(Path.Combine(_dir, "b")).LinkTarget);
        Assert.Equal("1", File.ReadAllText(Path.Combine(_dir, "a")));
        Assert.Equal(2, volume.Generation);
    }

    [Fact]
    public void Create_ExistingLayout_Adopted()
    {
        using var first = _issuing.IssueLocalhostServer("first");
        using var second = _issuing.IssueLocalhostServer("second");
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        volume.WriteCertManagerSecret(first);

        var again = KubernetesSecretVolume.Create(_dir, _time);
        Assert.Equal(volume.DataDirectory, again.DataDirectory);
        Assert.False(again.WriteCertManagerSecret(first));
        Assert.True(again.WriteCertManagerSecret(second));
        Assert.Equal(5, Entries(_dir).Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("../escape")]
    [InlineData("a/../b")]
    [InlineData("..data")]
    [InlineData("..hidden")]
    public void Update_InvalidKey_Throws(string key)
    {
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        Assert.ThrowsAny<ArgumentException>(() => volume.Update(new Dictionary<string, string> { [key] = "x" }));
        Assert.Null(volume.DataDirectory);
    }

    [Fact]
    public void KubernetesSecretVolume_NullArguments_Throw()
    {
        Assert.ThrowsAny<ArgumentException>(() => KubernetesSecretVolume.Create(null!));
        Assert.ThrowsAny<ArgumentException>(() => KubernetesSecretVolume.Create(string.Empty));
        var volume = KubernetesSecretVolume.Create(_dir, _time);
        Assert.Throws<ArgumentNullException>(() => volume.Update((IReadOnlyDictionary<string, string>)null!));
        Assert.Throws<ArgumentNullException>(() => volume.Update((IReadOnlyDictionary<string, byte[]>)null!));
        Assert.Throws<ArgumentNullException>(() => volume.WriteCertManagerSecret(null!));
        using var leaf = _issuing.IssueLocalhostServer();
        Assert.Throws<ArgumentNullException>(() => volume.WriteCertManagerSecret(leaf, (string)null!));
        using var selfSigned = TestPki.CreateSelfSignedLeaf("self", timeProvider: _time);
        Assert.Throws<ArgumentException>(() => volume.WriteCertManagerSecret(selfSigned));
    }
}
