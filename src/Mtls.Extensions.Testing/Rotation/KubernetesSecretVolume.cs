using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>
/// A folder laid out and updated exactly as kubelet projects a Secret (or ConfigMap) volume with its
/// AtomicWriter: the bytes live in a hidden timestamped folder (<c>..2026_11_22_10_00_00.123456789</c>), the
/// <c>..data</c> symlink points at it, and every visible name is a symlink through it
/// (<c>tls.crt -&gt; ..data/tls.crt</c>). An update writes a new timestamped folder, creates the
/// <c>..data_tmp</c> symlink to it, renames that over <c>..data</c> (one atomic <c>rename(2)</c>), removes
/// names that left the payload and deletes the old folder. Like kubelet, an update with an identical payload
/// writes nothing.
/// </summary>
/// <remarks>
/// Unix only (Linux, macOS): the swap is a <c>rename(2)</c> of a symbolic link. On Windows <see cref="Create"/>
/// throws <see cref="PlatformNotSupportedException"/>. Not thread-safe: one writer at a time, as in kubelet.
/// </remarks>
/// <example>
/// <code>
/// var volume = KubernetesSecretVolume.Create(dir);
/// volume.WriteCertManagerSecret(leaf);                 // tls.crt (leaf + chain), tls.key, ca.crt
/// var options = new CertificateSourceOptions { Directory = dir, Layout = CertificateDirectoryLayout.CertManager };
/// // ... create the source ...
/// volume.WriteCertManagerSecret(renewed);              // cert-manager renewed it: the ..data swap
/// </code>
/// </example>
public sealed class KubernetesSecretVolume
{
    /// <summary>The name of the symlink to the current timestamped folder.</summary>
    public const string DataLinkName = "..data";

    /// <summary>The name of the temporary symlink renamed over <see cref="DataLinkName"/>.</summary>
    public const string TemporaryDataLinkName = "..data_tmp";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TimeProvider _time;

    private KubernetesSecretVolume(string directory, TimeProvider time)
    {
        Directory = directory;
        _time = time;
    }

    /// <summary>Gets the volume's mount folder.</summary>
    /// <value>An absolute path.</value>
    public string Directory { get; }

    /// <summary>Gets the timestamped folder <c>..data</c> points at, or <see langword="null"/> before the first update.</summary>
    /// <value>An absolute path.</value>
    public string? DataDirectory
    {
        get
        {
            var target = new FileInfo(Path.Combine(Directory, DataLinkName)).LinkTarget;
            return target is null ? null : Path.GetFullPath(Path.Combine(Directory, target));
        }
    }

    /// <summary>Gets how many updates changed the volume (identical payloads do not count).</summary>
    /// <value>Zero after <see cref="Create"/>.</value>
    public int Generation { get; private set; }

    /// <summary>Gets or sets the permissions of the projected files (the volume's <c>defaultMode</c>).</summary>
    /// <value>The default is <c>0644</c>, kubelet's default for Secret volumes.</value>
    public UnixFileMode FileMode { get; set; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Gets or sets a callback invoked after each step of an update, to observe (or assert on) intermediate states.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Action<KubernetesSecretVolumeStep>? StepCompleted { get; set; }

    /// <summary>Creates the simulator for a folder (created when missing). An existing <c>..data</c> layout is adopted.</summary>
    /// <param name="directory">The mount folder.</param>
    /// <param name="timeProvider">The clock that names the timestamped folders; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns>The volume.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    public static KubernetesSecretVolume Create(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("KubernetesSecretVolume needs Unix symbolic links and rename(2).");
        }

        return new KubernetesSecretVolume(System.IO.Directory.CreateDirectory(directory).FullName, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Gets the visible path of a projected file (the symlink, e.g. <c>/mount/tls.crt</c>).</summary>
    /// <param name="fileName">The key in the payload.</param>
    /// <returns>An absolute path.</returns>
    public string GetPath(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Projects a payload of text files (UTF-8), replacing the previous payload.</summary>
    /// <param name="files">The keys (relative paths) and their content.</param>
    /// <returns><see langword="true"/> when the volume changed; <see langword="false"/> when the payload was identical (kubelet writes nothing then).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is empty, absolute, contains <c>..</c> or starts with <c>..</c>.</exception>
    public bool Update(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Update(files.ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value), StringComparer.Ordinal));
    }

    /// <summary>Projects a payload, replacing the previous payload, with kubelet's AtomicWriter algorithm.</summary>
    /// <param name="files">The keys (relative paths) and their content.</param>
    /// <returns><see langword="true"/> when the volume changed; <see langword="false"/> when the payload was identical (kubelet writes nothing then).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="files"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key is empty, absolute, contains <c>..</c> or starts with <c>..</c>.</exception>
    public bool Update(IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var payload = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, content) in files)
        {
            ArgumentNullException.ThrowIfNull(content, $"{nameof(files)}[{key}]");
            payload[Validate(key)] = content;
        }

        // (2) The current timestamped folder, from the ..data link.
        var dataLink = Path.Combine(Directory, DataLinkName);
        var oldTsName = new FileInfo(dataLink).LinkTarget;
        var oldTsPath = oldTsName is null ? null : Path.Combine(Directory, oldTsName);

        // (3, 4) What leaves the payload, and whether anything changed at all.
        var pathsToRemove = oldTsPath is null ? [] : PathsToRemove(payload, oldTsPath);
        if (oldTsPath is not null && pathsToRemove.Count == 0 && !payload.Any(f => ShouldWrite(Path.Combine(oldTsPath, f.Key), f.Value)))
        {
            return false;
        }

        // (5, 6) A new timestamped folder with the whole payload.
        var tsPath = NewTimestampDirectory();
        foreach (var (key, content) in payload)
        {
            var full = Path.Combine(tsPath, key);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, FileMode);
            }
        }

        StepCompleted?.Invoke(KubernetesSecretVolumeStep.DataDirectoryWritten);

        // (7) Visible links for new top-level names: name -> ..data/name.
        foreach (var top in payload.Keys.Select(TopLevelName).Distinct(StringComparer.Ordinal))
        {
            var visible = Path.Combine(Directory, top);
            if (new FileInfo(visible).LinkTarget is null && !File.Exists(visible) && !System.IO.Directory.Exists(visible))
            {
                File.CreateSymbolicLink(visible, DataLinkName + "/" + top);
            }
        }

        StepCompleted?.Invoke(KubernetesSecretVolumeStep.UserVisibleLinksCreated);

        // (8, 9) ..data_tmp -> new folder, renamed over ..data: the one atomic switch.
        var temporaryLink = Path.Combine(Directory, TemporaryDataLinkName);
        File.Delete(temporaryLink);
        File.CreateSymbolicLink(temporaryLink, Path.GetFileName(tsPath));
        UnixFileOperations.Rename(temporaryLink, dataLink);
        Generation++;
        StepCompleted?.Invoke(KubernetesSecretVolumeStep.DataLinkSwapped);

        // (10) Visible links of names no longer projected (only top-level links are removed).
        foreach (var path in pathsToRemove.Where(p => !p.Contains('/', StringComparison.Ordinal)))
        {
            File.Delete(Path.Combine(Directory, path));
        }

        StepCompleted?.Invoke(KubernetesSecretVolumeStep.OldUserVisibleLinksRemoved);

        // (11) The previous timestamped folder.
        if (oldTsPath is not null && System.IO.Directory.Exists(oldTsPath))
        {
            System.IO.Directory.Delete(oldTsPath, recursive: true);
        }

        StepCompleted?.Invoke(KubernetesSecretVolumeStep.OldDataDirectoryRemoved);
        return true;
    }

    /// <summary>
    /// Projects a cert-manager TLS secret: <c>tls.crt</c> (the leaf followed by its intermediates),
    /// <c>tls.key</c> and <c>ca.crt</c> (the issuing hierarchy's root).
    /// </summary>
    /// <param name="certificate">The certificate, issued under a test PKI root.</param>
    /// <param name="keyFormat">The key encoding (cert-manager's <c>privateKey.encoding</c>: PKCS#1/SEC1 or PKCS#8).</param>
    /// <returns><see langword="true"/> when the volume changed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The certificate is self-signed (it has no root for <c>ca.crt</c>).</exception>
    public bool WriteCertManagerSecret(TestCertificate certificate, TestKeyFormat keyFormat = TestKeyFormat.Pkcs8)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var root = certificate.Root ?? throw new ArgumentException("The certificate is self-signed; pass ca.crt explicitly.", nameof(certificate));
        return WriteCertManagerSecret(certificate, root.ExportCertificatePem() + "\n", keyFormat);
    }

    /// <summary>Projects a cert-manager TLS secret with an explicit <c>ca.crt</c> (for example old and new CA during a CA rotation).</summary>
    /// <param name="certificate">The certificate.</param>
    /// <param name="caPem">The content of <c>ca.crt</c>.</param>
    /// <param name="keyFormat">The key encoding.</param>
    /// <returns><see langword="true"/> when the volume changed.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public bool WriteCertManagerSecret(TestCertificate certificate, string caPem, TestKeyFormat keyFormat = TestKeyFormat.Pkcs8)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(caPem);
        return Update(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["tls.crt"] = certificate.ExportCertificatePem(includeChain: true),
            ["tls.key"] = certificate.ExportKeyPem(keyFormat),
            ["ca.crt"] = caPem,
        });
    }

    private static string Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (Path.IsPathRooted(key))
        {
            throw new ArgumentException($"The key '{key}' must be a relative path.", nameof(key));
        }

        var items = key.Split('/');
        if (items.Any(i => i == ".."))
        {
            throw new ArgumentException($"The key '{key}' must not contain '..'.", nameof(key));
        }

        if (items[0].StartsWith("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The key '{key}' must not start with '..': kubelet reserves those names.", nameof(key));
        }

        return string.Join('/', items.Where(i => i.Length > 0 && i != "."));
    }

    private static string TopLevelName(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? key : key[..slash];
    }

    private static bool ShouldWrite(string path, byte[] content) =>
        !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(content);

    private static List<string> PathsToRemove(Dictionary<string, byte[]> payload, string oldTsPath)
    {
        if (!System.IO.Directory.Exists(oldTsPath))
        {
            return [];
        }

        var current = System.IO.Directory.EnumerateFileSystemEntries(oldTsPath, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(oldTsPath, p).Replace(Path.DirectorySeparatorChar, '/'));
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in payload.Keys)
        {
            // Every parent of a projected file stays, so that no non-empty folder is removed.
            for (var sub = key; sub.Length > 0; sub = sub.Contains('/', StringComparison.Ordinal) ? sub[..sub.LastIndexOf('/')] : string.Empty)
            {
                kept.Add(sub);
            }
        }

        return current.Where(p => !kept.Contains(p)).ToList();
    }

    private string NewTimestampDirectory()
    {
        // Go's os.MkdirTemp(dir, "..2006_01_02_15_04_05.") in UTC: the pattern plus random digits.
        var prefix = ".." + _time.GetUtcNow().ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + ".";
        while (true)
        {
            var path = Path.Combine(Directory, prefix + RandomNumberGenerator.GetInt32(100_000_000, 1_000_000_000).ToString(CultureInfo.InvariantCulture));
            if (!System.IO.Directory.Exists(path) && !File.Exists(path))
            {
                if (OperatingSystem.IsWindows())
                {
                    System.IO.Directory.CreateDirectory(path);
                }
                else
                {
                    System.IO.Directory.CreateDirectory(path, DirectoryMode);
                }

                return path;
            }
        }
    }
}
