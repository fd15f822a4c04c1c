using System.Runtime.InteropServices;

namespace Mtls.Extensions.Testing;

/// <summary>
/// The one POSIX call .NET does not expose: <c>rename(2)</c> of a symbolic link over another one.
/// <see cref="File.Move(string, string, bool)"/> follows a link to a folder and refuses it, and
/// <see cref="Directory.Move(string, string)"/> refuses an existing destination; kubelet relies on the
/// atomic replace.
/// </summary>
internal static class UnixFileOperations
{
    public static void Rename(string source, string destination)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("rename(2) of a symbolic link is a Unix operation.");
        }

        if (NativeRename(NullTerminatedUtf8(source), NullTerminatedUtf8(destination)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"rename('{source}', '{destination}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    private static byte[] NullTerminatedUtf8(string path) => System.Text.Encoding.UTF8.GetBytes(path + "\0");

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeRename(byte[] source, byte[] destination);
}
