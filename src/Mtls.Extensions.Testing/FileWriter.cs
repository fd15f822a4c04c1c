using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>Writes files the way careful tools do (temporary file, then rename) or the way careless ones do.</summary>
public static class FileWriter
{
    /// <summary>Writes text to a temporary file in the same folder, then renames it over the target.</summary>
    /// <param name="path">The target.</param>
    /// <param name="text">The content.</param>
    public static void WriteAtomically(string path, string text) => WriteAtomically(path, Encoding.ASCII.GetBytes(text));

    /// <summary>Writes bytes to a temporary file in the same folder, then renames it over the target.</summary>
    /// <param name="path">The target.</param>
    /// <param name="bytes">The content.</param>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }
}
