namespace Mtls.Extensions;

/// <summary>
/// Where the certificate revocation lists of the pinned CAs come from (<c>TrustedCa:Crls:*</c>): PEM or DER, several CRLs
/// per file, watched and reloaded like the trust bundle. Nothing is ever downloaded.
/// </summary>
public sealed class CrlFileOptions
{
    /// <summary>Gets or sets one file of one or more CRLs (<c>TrustedCa:Crls:Path</c>).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets a watched folder whose every <c>*.crl</c> and <c>*.pem</c> file is read (<c>TrustedCa:Crls:Directory</c>).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Directory { get; set; }

    /// <summary>Gets a value indicating whether CRL files are configured.</summary>
    /// <value><see langword="true"/> when <see cref="Path"/> or <see cref="Directory"/> is set.</value>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Directory);
}
