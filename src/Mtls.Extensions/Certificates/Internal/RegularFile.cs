using System.Runtime.InteropServices;
using System.Text;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Refuses a certificate, key or trust path that is not a regular file once links are followed, before it is opened:
/// opening a FIFO blocks until a writer appears (start-up would hang with no log line, and SIGTERM would not stop it),
/// a device can be read forever, a directory is not a file.
/// </summary>
internal static partial class RegularFile
{
    // File types as the runtime's own native layer (System.Native) reports them, the same on every Unix.
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000;
    private const int CharacterDevice = 0x2000;
    private const int Directory = 0x4000;
    private const int BlockDevice = 0x6000;
    private const int Regular = 0x8000;
    private const int Socket = 0xC000;

    private static bool s_unavailable;

    /// <summary>Throws when <paramref name="path"/> exists and is not a regular file (after following links); a missing file is left to the read that follows.</summary>
    public static void Ensure(string path, string source)
    {
        if (OperatingSystem.IsWindows() || Volatile.Read(ref s_unavailable))
        {
            return;
        }

        int mode;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(path + "\0");
            if (Stat(bytes, out var status) != 0)
            {
                return;
            }

            mode = status.Mode & TypeMask;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A runtime without System.Native's stat: the read reports what it finds, as before.
            Volatile.Write(ref s_unavailable, true);
            return;
        }

        var kind = mode switch
        {
            Regular => null,
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            _ => $"not a regular file (type 0x{mode:X4})",
        };
        if (mode == Directory)
        {
            throw new CertificateLoadException(source, "the path is a directory, not a file.", CertificateLoadErrorKind.Unreadable);
        }

        if (kind is not null)
        {
            throw new CertificateLoadException(
                source,
                $"the path is {kind}, not a regular file (links followed); it was not opened. Point the key at the certificate, key or bundle file itself.",
                CertificateLoadErrorKind.Unreadable);
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = false)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Stat(byte[] path, out FileStatus status);

    /// <summary>The leading fields of System.Native's FileStatus; the size leaves room for the rest of the structure.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }
}
