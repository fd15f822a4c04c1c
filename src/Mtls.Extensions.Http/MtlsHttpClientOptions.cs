using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http;

/// <summary>
/// Options of one mTLS HTTP client, bound from <c>Mtls:Clients:{name}</c> by
/// <see cref="Microsoft.Extensions.DependencyInjection.MtlsHttpClientServiceCollectionExtensions.AddMtlsHttpClient(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{MtlsHttpClientOptions}?)"/>.
/// What the server configures too (certificate, trusted CAs, reload, chain depth, EKU, resumption) is in <see cref="MtlsEndpointOptions"/>.
/// </summary>
public sealed class MtlsHttpClientOptions : MtlsEndpointOptions
{
    /// <summary>The message of a time that must be positive (format of <see cref="MtlsRangeAttribute"/>).</summary>
    internal const string MustBePositive = "{0}: {1} must be positive.";

    /// <summary>Gets or sets the server's base URI (configuration key <c>BaseAddress</c>); must be <c>https</c>.</summary>
    [Internal.HttpsUri]
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// Gets or sets the identity the server certificate must carry (<c>ExpectedServer</c>): a SPIFFE ID
    /// (<c>spiffe://example.org/ns/prod/sa/inventory</c>), a trust domain (<c>spiffe://example.org</c>), a SPIFFE ID path prefix
    /// (<c>spiffe://example.org/ns/prod/*</c>) or a DNS name; several separated by commas (any one suffices).
    /// When empty (the default) the request's host must match one of the certificate's DNS or IP SANs (never the CN).
    /// </summary>
    [Internal.ExpectedServer]
    public string? ExpectedServer { get; set; }

    /// <summary>Gets or sets how long a TCP connect plus TLS handshake may take (default 10 seconds).</summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = MustBePositive)]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long an idle pooled connection is kept (default 1 minute).</summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, ErrorMessage = MustBePositive)]
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets the maximum lifetime of a pooled connection (default 10 minutes, so DNS changes are seen).
    /// Certificate rotation does not wait for it: a rotation replaces the handler. <see cref="Timeout.InfiniteTimeSpan"/> keeps connections open.
    /// </summary>
    [MtlsRange("00:00:00", null, MinimumIsExclusive = true, AllowInfinite = true, ErrorMessage = MustBePositive)]
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the default mTLS-aware resilience pipeline (<c>Resilience:*</c>).</summary>
    [ValidateObjectMembers]
    public MtlsClientResilienceOptions Resilience { get; set; } = new();

    /// <summary>
    /// The configuration path of these options, named in every error message. Set by the binding overloads;
    /// internal, so that no configuration key can set it. Empty: <c>Mtls:Clients:{name}</c>.
    /// </summary>
    /// <remarks>
    /// A field, not a property: the configuration binder counts every property, internal ones too, as a known key (and
    /// then skips it), so a <c>ConfigurationPath</c> key would be ignored silently; as a field it is an unknown key, a start-up error.
    /// </remarks>
    internal string ConfigurationPath = string.Empty;
}
