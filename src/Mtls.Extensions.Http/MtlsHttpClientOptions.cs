namespace Mtls.Extensions.Http;

/// <summary>
/// Options of one mTLS HTTP client, bound from <c>Mtls:Clients:{name}</c> by
/// <see cref="Microsoft.Extensions.DependencyInjection.MtlsHttpClientServiceCollectionExtensions.AddMtlsHttpClient(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{MtlsHttpClientOptions}?)"/>.
/// </summary>
public sealed class MtlsHttpClientOptions
{
    /// <summary>Gets or sets the server's base URI (configuration key <c>BaseAddress</c>); must be <c>https</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Gets or sets where the client certificate and its key come from (<c>Certificate:*</c>).</summary>
    public CertificateSourceOptions Certificate { get; set; } = new();

    /// <summary>Gets or sets the pinned CAs the server certificate must chain to (<c>TrustedCa:*</c>). Never the operating system's store.</summary>
    public TrustedCaOptions TrustedCa { get; set; } = new();

    /// <summary>
    /// Gets or sets the identity the server certificate must carry (<c>ExpectedServer</c>): a SPIFFE ID
    /// (<c>spiffe://example.org/ns/prod/sa/inventory</c>), a trust domain (<c>spiffe://example.org</c>), a SPIFFE ID path prefix
    /// (<c>spiffe://example.org/ns/prod/*</c>) or a DNS name; several separated by commas (any one suffices).
    /// When empty (the default) the request's host must match one of the certificate's DNS or IP SANs (never the CN).
    /// </summary>
    public string? ExpectedServer { get; set; }

    /// <summary>Gets or sets a value indicating whether server certificates without an extended key usage extension are accepted.</summary>
    public bool AllowMissingExtendedKeyUsage { get; set; }

    /// <summary>Gets or sets the maximum number of CA certificates above the server's leaf, the anchor included; self-issued intermediates are not counted (default 4).</summary>
    public int MaxChainDepth { get; set; } = 4;

    /// <summary>Gets or sets how long a TCP connect plus TLS handshake may take (default 10 seconds).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long an idle pooled connection is kept (default 1 minute).</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets the maximum lifetime of a pooled connection (default 10 minutes, so DNS changes are seen).
    /// Certificate rotation does not wait for it: a rotation replaces the handler.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Gets or sets whether the client resumes TLS sessions (<c>Resumption</c>). A resumed session is judged like a full
    /// handshake: the server's chain from its full handshake against the current trust and time.
    /// <see cref="MtlsResumption.Disabled"/> makes every connection a full handshake.
    /// </summary>
    /// <value>The default is <see cref="MtlsResumption.Enabled"/>.</value>
    public MtlsResumption Resumption { get; set; } = MtlsResumption.Enabled;

    /// <summary>Gets or sets how certificate and CA files are watched for rotation (<c>Reload:*</c>).</summary>
    public MtlsReloadOptions Reload { get; set; } = new();

    /// <summary>Gets or sets the default mTLS-aware resilience pipeline (<c>Resilience:*</c>).</summary>
    public MtlsClientResilienceOptions Resilience { get; set; } = new();

    /// <summary>Gets or sets the configuration path of these options, used in error messages. Set by the binding overloads.</summary>
    public string ConfigurationPath { get; set; } = string.Empty;
}
