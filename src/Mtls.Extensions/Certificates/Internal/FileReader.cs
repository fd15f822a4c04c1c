namespace Mtls.Extensions.Internal;

internal static class FileReader
{
    /// <summary>The default limit of a certificate, key or trust file: 1 MiB.</summary>
    public const long DefaultMaxFileSize = 1024 * 1024;

    /// <summary>Reads a whole file, but never more than <paramref name="maxBytes"/>: a larger file is refused, not read.</summary>
    public static byte[] ReadAllBytes(string path, string source, long maxBytes = DefaultMaxFileSize)
    {
        RegularFile.Ensure(path, source);
        try
        {
            return ReadBounded(path, source, maxBytes);
        }
        catch (FileNotFoundException ex)
        {
            throw new CertificateLoadException(source, "the file does not exist.", CertificateLoadErrorKind.FileNotFound, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CertificateLoadException(source, "the file's folder does not exist.", CertificateLoadErrorKind.FileNotFound, ex);
        }
        catch (UnauthorizedAccessException ex) when (Directory.Exists(path))
        {
            throw new CertificateLoadException(source, "the path is a directory, not a file.", CertificateLoadErrorKind.Unreadable, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CertificateLoadException(source, "the file cannot be read: access denied.", CertificateLoadErrorKind.Unreadable, ex);
        }
        catch (IOException ex)
        {
            throw new CertificateLoadException(source, $"the file cannot be read: {ex.Message}", CertificateLoadErrorKind.Unreadable, ex);
        }
    }

    private static byte[] ReadBounded(string path, string source, long maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var length = stream.CanSeek ? stream.Length : -1;
        if (length > maxBytes)
        {
            throw TooLarge(source, maxBytes, length);
        }

        // The length can grow while we read (or be unknown): read at most one byte past the limit to tell.
        var buffer = new byte[length >= 0 ? length : Math.Min(maxBytes + 1, 64 * 1024)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total > maxBytes)
                {
                    throw TooLarge(source, maxBytes, -1);
                }

                Array.Resize(ref buffer, (int)Math.Min(Math.Max(buffer.Length * 2L, 4096), maxBytes + 1));
            }

            var read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        if (total > maxBytes)
        {
            throw TooLarge(source, maxBytes, -1);
        }

        return total == buffer.Length ? buffer : buffer.AsSpan(0, total).ToArray();
    }

    private static CertificateLoadException TooLarge(string source, long maxBytes, long length) =>
        new(source, $"the file is {(length >= 0 ? $"{length} bytes" : "larger than the limit")}, above the limit of {maxBytes} bytes (MaxFileSize); it was not read. Certificate, key and trust files are a few kilobytes.", CertificateLoadErrorKind.TooLarge);
}
