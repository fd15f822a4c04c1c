namespace Mtls.Extensions;

/// <summary>
/// Where a certificate and its private key come from. Exactly one of <see cref="Path"/>,
/// <see cref="Pem"/>, <see cref="Directory"/>, <see cref="Store"/> or <see cref="WorkloadApi"/> is used.
/// </summary>
public sealed class CertificateSourceOptions
{
    /// <summary>
    /// Gets or sets a PEM file (the leaf, optionally followed by its intermediates, optionally with the key)
    /// or a PFX/PKCS#12 file.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets a PEM private key file (PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8) when <see cref="Path"/> holds no key.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? KeyPath { get; set; }

    /// <summary>Gets or sets the password of the PFX file or of the encrypted private key.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Password { get; set; }

    /// <summary>Gets or sets inline PEM: the leaf, optionally its intermediates, optionally its key.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Pem { get; set; }

    /// <summary>Gets or sets an inline PEM private key used with <see cref="Pem"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? KeyPem { get; set; }

    /// <summary>Gets or sets a folder holding the certificate in a known <see cref="Layout"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Directory { get; set; }

    /// <summary>Gets or sets the layout of <see cref="Directory"/>.</summary>
    /// <value>The default is <see cref="CertificateDirectoryLayout.CertManager"/>.</value>
    public CertificateDirectoryLayout Layout { get; set; } = CertificateDirectoryLayout.CertManager;

    /// <summary>Gets or sets a certificate from an X509 store.</summary>
    /// <value>The default selects nothing.</value>
    public CertificateStoreOptions Store { get; set; } = new();

    /// <summary>Gets or sets the largest certificate or key file that is read; a larger one is refused (at start-up) or ignored (at run time, keeping the last good material).</summary>
    /// <value>The default is 1 MiB; 1024 bytes to 256 MiB.</value>
    [MtlsRange(1024L, 268_435_456L, ErrorMessage = "{0}: {1} is out of range; use {2} to {3} bytes.")]
    public long MaxFileSize { get; set; } = Internal.FileReader.DefaultMaxFileSize;

    /// <summary>Gets or sets the SPIFFE Workload API as the source (needs the <c>Mtls.Extensions.Spiffe</c> package).</summary>
    /// <value>The default selects nothing.</value>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public WorkloadApiOptions WorkloadApi { get; set; } = new();

    /// <summary>Gets a value indicating whether any source is configured.</summary>
    /// <value><see langword="true"/> when a path, inline PEM, folder, store thumbprint or Workload API is set.</value>
    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Pem) ||
        !string.IsNullOrWhiteSpace(ResolvedDirectory) || !string.IsNullOrWhiteSpace(Store.Thumbprint) || WorkloadApi.IsSelected;

    /// <summary>Gets a value indicating whether the source brings its own trust bundle (a folder layout or the Workload API).</summary>
    /// <value><see langword="true"/> when <see cref="Directory"/> or <see cref="WorkloadApi"/> is set.</value>
    public bool ProvidesTrustBundle => !string.IsNullOrWhiteSpace(ResolvedDirectory) || WorkloadApi.IsSelected;

    /// <summary>
    /// Gets the folder actually used: <see cref="Directory"/>, or for the <see cref="CertificateDirectoryLayout.SpiffeFilesystem"/>
    /// layout without it, the <c>SPIFFE_CREDENTIAL_FOLDER</c> environment variable (SPIFFE Filesystem Delivery, section 3.1).
    /// </summary>
    internal string? ResolvedDirectory =>
        !string.IsNullOrWhiteSpace(Directory) ? Directory
        : Layout == CertificateDirectoryLayout.SpiffeFilesystem ? Environment.GetEnvironmentVariable(SpiffeCredentialFolderVariable)
        : null;

    /// <summary>The environment variable naming the SPIFFE Filesystem Delivery credential folder.</summary>
    internal const string SpiffeCredentialFolderVariable = "SPIFFE_CREDENTIAL_FOLDER";
}
