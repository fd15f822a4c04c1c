using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>
/// Plain in-place overwrites (same inode, truncate then write), as <c>cp</c>, most editors' "save" and many scripts do;
/// and half-written files, as a reader sees them while a slow writer is still going.
/// </summary>
public static class InPlaceFileWriter
{
    /// <summary>Truncates the file and writes <paramref name="text"/> into the same inode.</summary>
    /// <param name="path">The file (created when missing).</param>
    /// <param name="text">The content (ASCII, as PEM is).</param>
    public static void Write(string path, string text) => Write(path, Encoding.ASCII.GetBytes(text));

    /// <summary>Truncates the file and writes <paramref name="bytes"/> into the same inode.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bytes">The content.</param>
    public static void Write(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.SetLength(0);
        stream.Write(bytes);
        stream.Flush(flushToDisk: false);
    }

    /// <summary>Truncates the file and writes only the first <paramref name="fraction"/> of <paramref name="text"/>: a write caught half-way.</summary>
    /// <param name="path">The file.</param>
    /// <param name="text">The full content.</param>
    /// <param name="fraction">How much to write, between 0 and 1.</param>
    public static void WritePartially(string path, string text, double fraction = 0.5)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(fraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fraction, 1);
        var bytes = Encoding.ASCII.GetBytes(text);
        Write(path, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
    }
}
