namespace Mtls.Extensions.Testing;

/// <summary>
/// Writes an X.509 SVID the way spiffe-helper does: <c>svid.pem</c>, then <c>svid_key.pem</c>, then <c>svid_bundle.pem</c>,
/// each truncated and rewritten in place, one after the other — not atomic. Between the first two writes the folder
/// holds a new certificate with the old key: a reader must not serve that pair. Each step is a method of its own, so
/// a test can stop in the torn state.
/// </summary>
/// <param name="directory">The folder spiffe-helper writes to (created when missing).</param>
public sealed class SpiffeHelperWriter(string directory)
{
    /// <summary>The certificate file (leaf followed by intermediates).</summary>
    public const string CertificateFile = "svid.pem";

    /// <summary>The key file.</summary>
    public const string KeyFile = "svid_key.pem";

    /// <summary>The trust bundle file.</summary>
    public const string BundleFile = "svid_bundle.pem";

    /// <summary>Gets the folder.</summary>
    public string Directory { get; } = System.IO.Directory.CreateDirectory(directory).FullName;

    /// <summary>Writes all three files in spiffe-helper's order, calling <paramref name="between"/> after each of the first two.</summary>
    /// <param name="certificate">The SVID with its key.</param>
    /// <param name="bundlePem">The trust bundle.</param>
    /// <param name="between">Runs between writes (e.g. a delay, or assertions on the torn state).</param>
    public void Write(TestCertificate certificate, string bundlePem, Action? between = null)
    {
        WriteCertificate(certificate);
        between?.Invoke();
        WriteKey(certificate);
        between?.Invoke();
        WriteBundle(bundlePem);
    }

    /// <summary>Rewrites <c>svid.pem</c> in place.</summary>
    /// <param name="certificate">The SVID.</param>
    public void WriteCertificate(TestCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        InPlaceFileWriter.Write(Path.Combine(Directory, CertificateFile), certificate.ExportCertificatePem());
    }

    /// <summary>Rewrites <c>svid_key.pem</c> in place.</summary>
    /// <param name="certificate">The SVID whose key to write.</param>
    public void WriteKey(TestCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        InPlaceFileWriter.Write(Path.Combine(Directory, KeyFile), certificate.ExportKeyPem());
    }

    /// <summary>Rewrites <c>svid_bundle.pem</c> in place.</summary>
    /// <param name="bundlePem">The bundle.</param>
    public void WriteBundle(string bundlePem) => InPlaceFileWriter.Write(Path.Combine(Directory, BundleFile), bundlePem);
}
