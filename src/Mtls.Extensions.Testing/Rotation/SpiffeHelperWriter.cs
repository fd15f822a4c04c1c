using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mtls.Extensions.Testing;

/// <summary>
/// Writes an X.509 SVID into a folder the way spiffe-helper does: three separate, non-atomic, in-place
/// writes (<c>os.WriteFile</c>: truncate, then write) in a fixed order: <c>svid.pem</c> (the leaf and its
/// intermediates), then <c>svid_key.pem</c> (PKCS#8 <c>PRIVATE KEY</c>, mode 0600), then
/// <c>svid_bundle.pem</c> (the trust domain's CA certificates). Between the first two writes the folder holds
/// the new certificate with the old key: a consumer must not serve that pair.
/// </summary>
/// <remarks>
/// Use the single steps (<see cref="WriteCertificateOnly"/>, <see cref="WriteKey"/>, <see cref="WriteBundle(string)"/>)
/// to stop at a torn state deterministically, or <see cref="Write(TestCertificate, string)"/> /
/// <see cref="WriteAsync(TestCertificate, string, CancellationToken)"/> for the whole sequence, with
/// <see cref="FileWritten"/> and <see cref="DelayBetweenFiles"/> to observe or stretch the gaps.
/// </remarks>
/// <example>
/// <code>
/// var helper = new SpiffeHelperWriter(dir);
/// helper.Write(svid, root.ExportCertificatePem());          // initial files
/// // ... create the source with Directory = dir, Layout = CertificateDirectoryLayout.SpiffeHelper ...
/// helper.WriteCertificateOnly(next);                        // torn: new certificate, old key
/// // assert the old pair is still served
/// helper.WriteKey(next);                                    // now the new pair
/// </code>
/// </example>
public sealed class SpiffeHelperWriter
{
    /// <summary>spiffe-helper's default <c>svid_file_name</c>.</summary>
    public const string DefaultCertificateFileName = "svid.pem";

    /// <summary>spiffe-helper's default <c>svid_key_file_name</c>.</summary>
    public const string DefaultKeyFileName = "svid_key.pem";

    /// <summary>spiffe-helper's default <c>svid_bundle_file_name</c>.</summary>
    public const string DefaultBundleFileName = "svid_bundle.pem";

    private const UnixFileMode CertificateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode KeyFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="SpiffeHelperWriter"/> class, creating the folder when missing.</summary>
    /// <param name="directory">The folder (spiffe-helper's <c>cert_dir</c>).</param>
    /// <param name="timeProvider">The clock used for <see cref="DelayBetweenFiles"/>; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is <see langword="null"/> or empty.</exception>
    public SpiffeHelperWriter(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the folder.</summary>
    /// <value>An absolute path.</value>
    public string Directory { get; }

    /// <summary>Gets the certificate file (<c>svid.pem</c>).</summary>
    /// <value>An absolute path.</value>
    public string CertificatePath => Path.Combine(Directory, DefaultCertificateFileName);

    /// <summary>Gets the key file (<c>svid_key.pem</c>).</summary>
    /// <value>An absolute path.</value>
    public string KeyPath => Path.Combine(Directory, DefaultKeyFileName);

    /// <summary>Gets the bundle file (<c>svid_bundle.pem</c>).</summary>
    /// <value>An absolute path.</value>
    public string BundlePath => Path.Combine(Directory, DefaultBundleFileName);

    /// <summary>
    /// Gets or sets a value indicating whether the SVID's intermediates go to the bundle file instead of the
    /// certificate file (spiffe-helper's <c>add_intermediates_to_bundle</c>).
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AddIntermediatesToBundle { get; set; }

    /// <summary>Gets or sets how long <see cref="WriteAsync(TestCertificate, string, CancellationToken)"/> waits between two files.</summary>
    /// <value>The default is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan DelayBetweenFiles { get; set; }

    /// <summary>Gets or sets a callback invoked after each file is written, with its path (in order: certificate, key, bundle).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Action<string>? FileWritten { get; set; }

    /// <summary>Writes the certificate file only: the leaf (and its intermediates unless <see cref="AddIntermediatesToBundle"/>).</summary>
    /// <param name="svid">The new SVID.</param>
    /// <exception cref="ArgumentNullException"><paramref name="svid"/> is <see langword="null"/>.</exception>
    public void WriteCertificateOnly(TestCertificate svid)
    {
        ArgumentNullException.ThrowIfNull(svid);
        WriteFile(CertificatePath, Pem(AddIntermediatesToBundle ? [svid.Certificate] : [svid.Certificate, .. svid.Intermediates]), CertificateFileMode);
    }

    /// <summary>Writes the key file only (PKCS#8 <c>PRIVATE KEY</c>, mode 0600 when created).</summary>
    /// <param name="svid">The new SVID.</param>
    /// <exception cref="ArgumentNullException"><paramref name="svid"/> is <see langword="null"/>.</exception>
    public void WriteKey(TestCertificate svid)
    {
        ArgumentNullException.ThrowIfNull(svid);
        WriteFile(KeyPath, svid.ExportKeyPem(TestKeyFormat.Pkcs8), KeyFileMode);
    }

    /// <summary>Writes the bundle file only.</summary>
    /// <param name="bundlePem">The CA certificates as PEM.</param>
    /// <exception cref="ArgumentNullException"><paramref name="bundlePem"/> is <see langword="null"/>.</exception>
    public void WriteBundle(string bundlePem)
    {
        ArgumentNullException.ThrowIfNull(bundlePem);
        WriteFile(BundlePath, bundlePem, CertificateFileMode);
    }

    /// <summary>Writes the bundle file only, from CA certificates.</summary>
    /// <param name="authorities">The trust domain's CAs (several during a CA rotation).</param>
    /// <exception cref="ArgumentNullException"><paramref name="authorities"/> is <see langword="null"/>.</exception>
    public void WriteBundle(params IEnumerable<TestCertificateAuthority> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        WriteBundle(Pem(authorities.Select(a => a.Certificate)));
    }

    /// <summary>Writes the three files in spiffe-helper's order, calling <see cref="FileWritten"/> after each.</summary>
    /// <param name="svid">The new SVID.</param>
    /// <param name="bundlePem">The CA certificates as PEM.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public void Write(TestCertificate svid, string bundlePem)
    {
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(bundlePem);
        WriteCertificateOnly(svid);
        WriteKey(svid);
        WriteBundle(BundleWithIntermediates(svid, bundlePem));
    }

    /// <summary>Writes the three files in spiffe-helper's order, with the SVID's root as the bundle.</summary>
    /// <param name="svid">The new SVID, issued under a test PKI root.</param>
    /// <exception cref="ArgumentNullException"><paramref name="svid"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The SVID is self-signed (it has no root).</exception>
    public void Write(TestCertificate svid)
    {
        ArgumentNullException.ThrowIfNull(svid);
        Write(svid, RootPem(svid));
    }

    /// <summary>
    /// Writes the three files in spiffe-helper's order, waiting <see cref="DelayBetweenFiles"/> (on the
    /// writer's <see cref="TimeProvider"/>) between them.
    /// </summary>
    /// <param name="svid">The new SVID.</param>
    /// <param name="bundlePem">The CA certificates as PEM.</param>
    /// <param name="cancellationToken">Stops between files, leaving the folder torn.</param>
    /// <returns>A task that completes after the bundle is written.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public async Task WriteAsync(TestCertificate svid, string bundlePem, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(bundlePem);
        WriteCertificateOnly(svid);
        await PauseAsync(cancellationToken).ConfigureAwait(false);
        WriteKey(svid);
        await PauseAsync(cancellationToken).ConfigureAwait(false);
        WriteBundle(BundleWithIntermediates(svid, bundlePem));
    }

    private static string Pem(IEnumerable<X509Certificate2> certificates)
    {
        var builder = new StringBuilder();
        foreach (var certificate in certificates)
        {
            builder.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        return builder.ToString();
    }

    private static string RootPem(TestCertificate svid) =>
        (svid.Root ?? throw new ArgumentException("The SVID is self-signed; pass the bundle explicitly.", nameof(svid))).ExportCertificatePem() + "\n";

    private string BundleWithIntermediates(TestCertificate svid, string bundlePem) =>
        AddIntermediatesToBundle ? bundlePem + Pem(svid.Intermediates) : bundlePem;

    private async Task PauseAsync(CancellationToken cancellationToken)
    {
        if (DelayBetweenFiles > TimeSpan.Zero)
        {
            await Task.Delay(DelayBetweenFiles, _time, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private void WriteFile(string path, string content, UnixFileMode mode)
    {
        InPlaceFileWriter.Write(path, Encoding.ASCII.GetBytes(content), mode);
        FileWritten?.Invoke(path);
    }
}
