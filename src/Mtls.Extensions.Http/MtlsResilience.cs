using System.Net.Http;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Mtls.Extensions.Http;

/// <summary>
/// Predicates for resilience pipelines in front of an mTLS client. Use them when you switch the default pipeline off
/// and chain your own, so a certificate rejection is never retried or counted against the server's health:
/// <code>
/// services.AddMtlsHttpClient("inventory", o => o.Resilience.Enabled = false)
///     .AddStandardResilienceHandler(o =>
///     {
///         o.Retry.ShouldHandle = args => ValueTask.FromResult(MtlsResilience.IsTransient(args.Outcome));
///         o.CircuitBreaker.ShouldHandle = args => ValueTask.FromResult(MtlsResilience.IsTransient(args.Outcome));
///     });
/// </code>
/// </summary>
public static class MtlsResilience
{
    /// <summary>
    /// Gets a value indicating whether an outcome is worth another attempt: what
    /// <see cref="HttpClientResiliencePredicates.IsTransient(Outcome{HttpResponseMessage})"/> calls transient (5xx, 408, 429,
    /// connection failures, timeouts) except certificate rejections and other TLS failures, which the same certificates
    /// would hit again.
    /// </summary>
    /// <param name="outcome">The outcome of an attempt.</param>
    /// <returns><see langword="true"/> to retry.</returns>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        !IsCertificateRejection(outcome.Exception) && HttpClientResiliencePredicates.IsTransient(outcome);

    /// <summary>Gets a value indicating whether an exception is a certificate rejection or another TLS handshake failure.</summary>
    /// <param name="exception">The exception, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> for <see cref="MtlsHandshakeException"/> and <see cref="HttpRequestError.SecureConnectionError"/>.</returns>
    public static bool IsCertificateRejection(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is MtlsHandshakeException or HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
            {
                return true;
            }
        }

        return false;
    }
}
