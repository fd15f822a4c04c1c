namespace Mtls.Extensions;

/// <summary>The CA certificates of one SPIFFE trust domain (<c>TrustedCa:Bundles:{trustDomain}</c>).</summary>
public sealed class TrustDomainBundleOptions
{
    /// <summary>Gets or sets a PEM bundle or DER file of the trust domain's CA certificates.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets inline PEM with the trust domain's CA certificates.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Pem { get; set; }
}
