using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions;

/// <summary>Selects a certificate (with its private key) from an <see cref="X509Store"/>.</summary>
public sealed class CertificateStoreOptions
{
    /// <summary>Gets or sets the SHA-1 thumbprint of the certificate, in hexadecimal.</summary>
    /// <value>The default is <see langword="null"/> (no store certificate).</value>
    public string? Thumbprint { get; set; }

    /// <summary>Gets or sets the store name.</summary>
    /// <value>The default is <see cref="StoreName.My"/>.</value>
    public StoreName Name { get; set; } = StoreName.My;

    /// <summary>Gets or sets the store location.</summary>
    /// <value>The default is <see cref="StoreLocation.CurrentUser"/>.</value>
    public StoreLocation Location { get; set; } = StoreLocation.CurrentUser;
}
