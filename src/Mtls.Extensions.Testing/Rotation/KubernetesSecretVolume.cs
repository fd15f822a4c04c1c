using System.Globalization;
using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>
/// A folder laid out exactly as the kubelet's AtomicWriter projects a Secret (what cert-manager's certificates become
/// in a pod): the data lives in a timestamped folder <c>..2026_11_22_10_00_00.123456789</c>, <c>..data</c> is a symlink
/// to it, and each key is a symlink <c>tls.crt -&gt; ..data/tls.crt</c>. An update writes a new timestamped folder, points
/// a <c>..data_tmp</c> symlink at it, renames that over <c>..data</c> (the one atomic step), then deletes the old folder.
/// </summary>
public sealed partial class KubernetesSecretVolume
{
    private const string DataLink = "..data";
    private readonly TimeProvider _time;
    private int _sequence;

    private KubernetesSecretVolume(string directory, TimeProvider time)
    {
        Directory = directory;
        _time = time;
    }

    /// <summary>Gets the mounted folder.</summary>
    public string Directory { get; }

    /// <summary>Gets how many updates were written, the first projection included.</summary>
    public int Updates => _sequence;

    /// <summary>Creates (or takes over) a volume folder; it holds no data until the first <see cref="Update"/>.</summary>
    /// <param name="directory">The mount folder; created when missing.</param>
    /// <param name="timeProvider">The clock that names the timestamped folders.</param>
    /// <returns>The volume.</returns>
    public static KubernetesSecretVolume Create(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        System.IO.Directory.CreateDirectory(directory);
        return new KubernetesSecretVolume(Path.GetFullPath(directory), timeProvider ?? TimeProvider.System);
    }

    /// <summary>Projects a new version of the secret, atomically, as the kubelet does.</summary>
    /// <param name="files">The keys and their contents; keys absent from it disappear from the volume.</param>
    public void Update(IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var now = _time.GetUtcNow();
        var sequence = Interlocked.Increment(ref _sequence);
        var stamp = string.Create(CultureInfo.InvariantCulture, $"..{now:yyyy_MM_dd_HH_mm_ss}.{now.Ticks % 10_000_000:D7}{sequence % 100:D2}");
        var dataDir = Path.Combine(Directory, stamp);
        System.IO.Directory.CreateDirectory(dataDir);
        foreach (var (name, content) in files)
        {
            if (name.Contains('/', StringComparison.Ordinal) || name.StartsWith("..", StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{name}' is not a valid secret key.", nameof(files));
            }

            File.WriteAllBytes(Path.Combine(dataDir, name), content);
        }

        var dataLink = Path.Combine(Directory, DataLink);
        var previous = File.Exists(dataLink) || System.IO.Directory.Exists(dataLink) ? new FileInfo(dataLink).LinkTarget : null;

        // ..data_tmp -> ..<timestamp>, renamed over ..data: rename(2) replaces the symlink atomically.
        var tmpLink = Path.Combine(Directory, DataLink + "_tmp");
        if (File.Exists(tmpLink) || new FileInfo(tmpLink).LinkTarget is not null)
        {
            File.Delete(tmpLink);
        }

        File.CreateSymbolicLink(tmpLink, stamp);
        Posix.Rename(tmpLink, dataLink);

        // Per-key symlinks, created once, pointing through ..data.
        foreach (var name in files.Keys)
        {
            var link = Path.Combine(Directory, name);
            if (new FileInfo(link).LinkTarget is null)
            {
                if (File.Exists(link))
                {
                    File.Delete(link);
                }

                File.CreateSymbolicLink(link, Path.Combine(DataLink, name));
            }
        }

        // Keys removed from the secret lose their symlink.
        foreach (var link in System.IO.Directory.EnumerateFileSystemEntries(Directory))
        {
            var name = Path.GetFileName(link);
            if (!name.StartsWith("..", StringComparison.Ordinal) && !files.ContainsKey(name) && new FileInfo(link).LinkTarget is not null)
            {
                File.Delete(link);
            }
        }

        if (previous is not null && previous != stamp)
        {
            var old = Path.Combine(Directory, previous);
            if (System.IO.Directory.Exists(old))
            {
                System.IO.Directory.Delete(old, recursive: true);
            }
        }
    }

    /// <summary>Projects a cert-manager TLS secret: <c>tls.crt</c> (leaf + intermediates), <c>tls.key</c>, <c>ca.crt</c>.</summary>
    /// <param name="certificate">The leaf with its key.</param>
    /// <param name="caPem">The CA bundle (<c>ca.crt</c>).</param>
    public void WriteCertManagerSecret(TestCertificate certificate, string caPem)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(caPem);
        Update(new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(certificate.ExportCertificatePem()),
            ["tls.key"] = Encoding.ASCII.GetBytes(certificate.ExportKeyPem()),
            ["ca.crt"] = Encoding.ASCII.GetBytes(caPem),
        });
    }

    /// <summary>rename(2): atomically replaces a symlink to a folder, which <see cref="File.Move(string, string, bool)"/> cannot.</summary>
    private static partial class Posix
    {
        public static void Rename(string from, string to)
        {
            if (NativeRename(from, to) != 0)
            {
                throw new IOException($"rename('{from}', '{to}') failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
            }
        }

        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        private static partial int NativeRename(string from, string to);
    }
}
