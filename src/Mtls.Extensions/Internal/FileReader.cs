namespace Mtls.Extensions.Internal;

internal static class FileReader
{
    public static byte[] ReadAllBytes(string path, string source)
    {
        try
        {
            return File.ReadAllBytes(path);
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
}
