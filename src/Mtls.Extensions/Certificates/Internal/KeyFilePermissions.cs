using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Internal;

/// <summary>
/// On Unix, warns once per source when the file holding a private key is readable by its group or by others, as ssh
/// does for identity files. The mode of a symlink's final target is judged (Kubernetes mounts secrets as links).
/// </summary>
internal static partial class KeyFilePermissions
{
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    public static void Check(ILogger logger, string name, CertificateSourceOptions options)
    {
        if (OperatingSystem.IsWindows() || KeyFile(options) is not { } path)
        {
            return;
        }

        try
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
            var mode = File.GetUnixFileMode(target);
            if ((mode & ReadableByOthers) != 0)
            {
                KeyFileReadableByOthers(logger, Path.GetFullPath(path), name, Octal(mode), (mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0 ? "other users" : "its group");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The key was just read; a mode that cannot be read is nothing to warn about.
        }
    }

    /// <summary>The file that holds the private key: KeyPath, the folder layout's key file, or Path itself (PEM with key, PFX).</summary>
    internal static string? KeyFile(CertificateSourceOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Directory))
        {
            return CertificateMaterialLoader.LayoutFiles(options).Key;
        }

        if (!string.IsNullOrWhiteSpace(options.KeyPath))
        {
            return options.KeyPath;
        }

        return string.IsNullOrWhiteSpace(options.Path) ? null : options.Path;
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    [LoggerMessage(EventIds.KeyFileReadableByOthers, LogLevel.Warning, "The private key file {Path} of {Name} is readable by {Who} (mode {Mode}); allow only the owner to read it (chmod 600, or defaultMode 0400 for a Kubernetes secret volume).", EventName = nameof(EventIds.KeyFileReadableByOthers))]
    private static partial void KeyFileReadableByOthers(ILogger logger, string path, string name, string mode, string who);
}
