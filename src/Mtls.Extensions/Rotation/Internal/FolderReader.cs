namespace Mtls.Extensions.Internal;

/// <summary>
/// Reads the parts of a layout folder that are in use as one snapshot. Kubelet publishes a Secret by renaming the
/// <c>..data</c> symlink; a read that straddles the rename would pair files of two generations (the new certificate
/// with the old CA), so the links are resolved before and after the read and a read during which they moved is repeated.
/// </summary>
internal sealed class FolderReader
{
    private const int MaxAttempts = 3;

    private readonly CertificateSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly (string Certificate, string Key, string Bundle) _files;
    private string? _certificateKey;
    private string? _trustSource;
    private Func<TrustBundle, CertificateMaterial?, TrustBundle>? _splitTrust;

    public FolderReader(CertificateSourceOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _files = CertificateMaterialLoader.LayoutFiles(options);
    }

    /// <summary>Gets the folder's CA bundle file.</summary>
    public string BundlePath => _files.Bundle;

    /// <summary>Reads every part in use (the source's load function; runs under its reload lock).</summary>
    public FolderContent Read() => ReadConsistent(_certificateKey, _trustSource);

    /// <summary>Gets the files of the parts in use, for the watchers.</summary>
    public IEnumerable<string> Files()
    {
        if (_certificateKey is not null)
        {
            yield return Path.GetFullPath(_files.Certificate);
            yield return Path.GetFullPath(_files.Key);
        }

        if (_trustSource is not null)
        {
            yield return Path.GetFullPath(_files.Bundle);
        }
    }

    /// <summary>Starts reading the certificate and key; the first read throws, so a broken folder stops start-up.</summary>
    public CertificateMaterial AttachCertificate(string configurationPath)
    {
        var material = ReadConsistent(configurationPath, null).Certificate!;
        _certificateKey = configurationPath;
        return material;
    }

    /// <summary>
    /// Starts reading the CA bundle; the first read throws. <paramref name="split"/> turns the file as read into one bundle
    /// per trust domain, given the certificate read with it (<see langword="null"/> when the certificate is not read here).
    /// </summary>
    public TrustBundle AttachTrust(string source, Func<TrustBundle, CertificateMaterial?, TrustBundle> split)
    {
        _splitTrust = split;
        var trust = ReadConsistent(null, source).Trust!;
        _trustSource = source;
        return trust;
    }

    private FolderContent ReadConsistent(string? certificateKey, string? trustSource)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = LinkTargets(certificateKey is not null, trustSource is not null);
            var content = ReadOnce(certificateKey, trustSource);
            if (before.SequenceEqual(LinkTargets(certificateKey is not null, trustSource is not null), StringComparer.Ordinal))
            {
                return content;
            }

            content.Certificate?.Release();
            if (attempt == MaxAttempts)
            {
                throw new CertificateLoadException($"Directory ('{_options.Directory}')", "the folder's files were replaced while they were read, every time; retrying later.", CertificateLoadErrorKind.Unreadable);
            }
        }
    }

    private FolderContent ReadOnce(string? certificateKey, string? trustSource)
    {
        var certificate = certificateKey is null ? null : CertificateMaterialLoader.Load(_options, certificateKey, _time);
        try
        {
            if (trustSource is null)
            {
                return new FolderContent(certificate, null);
            }

            var trust = TrustBundle.LoadFile(_files.Bundle, trustSource);
            return new FolderContent(certificate, _splitTrust is null ? trust : _splitTrust(trust, certificate));
        }
        catch
        {
            certificate?.Release();
            throw;
        }
    }

    /// <summary>Where each file's symlinks lead now (<c>tls.crt -> ..data/tls.crt -> ..2026_…/tls.crt</c>).</summary>
    private List<string> LinkTargets(bool certificate, bool trust)
    {
        var targets = new List<string>(3);
        if (certificate)
        {
            targets.Add(Resolve(_files.Certificate));
            targets.Add(Resolve(_files.Key));
        }

        if (trust)
        {
            targets.Add(Resolve(_files.Bundle));
        }

        return targets;

        static string Resolve(string path)
        {
            try
            {
                // The file's own links, then its folder's (..data -> ..2026_…): the kernel follows the latter silently.
                var file = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
                var folder = Path.GetDirectoryName(file)!;
                var realFolder = new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder;
                return Path.Combine(realFolder, Path.GetFileName(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Dangling mid-swap: the read itself fails or is compared again on the next attempt.
                return string.Empty;
            }
        }
    }
}
