using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OfficialValidatedContext = Microsoft.AspNetCore.Authentication.Certificate.CertificateValidatedContext;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The official <c>Certificate</c> scheme answered from the mutual TLS handshake's verdict: the official options type,
/// events, claims and 403 challenge; trust decided once per handshake against the pinned, rotating CAs with the
/// intermediates the client sent. No chain is built per request.
/// </summary>
internal sealed class CertificateCompatibilityHandler(
    IOptionsMonitor<CertificateAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MutualTlsServer server,
    CertificateCompatibilityCache cache)
    : AuthenticationHandler<CertificateAuthenticationOptions>(options, logger, encoder)
{
    private new CertificateAuthenticationEvents Events => (CertificateAuthenticationEvents)base.Events!;

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new CertificateAuthenticationEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // As the official handler: client certificates only over HTTPS.
        if (!Context.Request.IsHttps)
        {
            return AuthenticateResult.NoResult();
        }

        // A certificate the handshake rejected in Allow mode is hidden from the app, not from the scheme that reports it.
        var certificate = (Context.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>() as RejectedCertificateHidden)?.Rejected
            ?? Context.Connection.ClientCertificate
            ?? await Context.Connection.GetClientCertificateAsync(Context.RequestAborted).ConfigureAwait(false);
        if (certificate is null)
        {
            Log.CompatibilityNoCertificate(Logger, Context.Connection.Id, Scheme.Name);
            return AuthenticateResult.NoResult();
        }

        // Once per connection: later requests get a copy of the first request's outcome (events included).
        var handshakeVerdict = Context.Features.Get<IMtlsPeerFeature>()?.Result;
        if (cache.Get(certificate, Scheme.Name, handshakeVerdict) is { } cached)
        {
            return cached;
        }

        var result = await AuthenticateConnectionAsync(certificate, handshakeVerdict).ConfigureAwait(false);
        cache.Put(certificate, Scheme.Name, handshakeVerdict, result);
        return result;
    }

    private async Task<AuthenticateResult> AuthenticateConnectionAsync(X509Certificate2 certificate, PeerValidationResult? handshakeVerdict)
    {
        try
        {
            var result = await DecideAsync(certificate, handshakeVerdict).ConfigureAwait(false);
            if (result.Failure is not null)
            {
                // As the official handler: OnAuthenticationFailed may replace a failed result.
                var failed = await FailedAsync(result.Failure).ConfigureAwait(false);
                result = failed.Result ?? result;
            }

            return result;
        }
        catch (Exception ex)
        {
            var failed = await FailedAsync(ex).ConfigureAwait(false);
            if (failed.Result is not null)
            {
                return failed.Result;
            }

            throw;
        }
    }

    private async Task<AuthenticateResult> DecideAsync(X509Certificate2 certificate, PeerValidationResult? handshakeVerdict)
    {
        var selfSigned = certificate.IsSelfSigned();
        if (selfSigned && !Options.AllowedCertificateTypes.HasFlag(CertificateTypes.SelfSigned))
        {
            Log.CompatibilityRejected(Logger, Context.Connection.Id, Scheme.Name, "self-signed certificates are not allowed (AllowedCertificateTypes)");
            return AuthenticateResult.Fail("Options do not allow self signed certificates.");
        }

        if (!selfSigned && !Options.AllowedCertificateTypes.HasFlag(CertificateTypes.Chained))
        {
            Log.CompatibilityRejected(Logger, Context.Connection.Id, Scheme.Name, "chained certificates are not allowed (AllowedCertificateTypes)");
            return AuthenticateResult.Fail("Options do not allow chained certificates.");
        }

        var verdict = VerdictFor(certificate, handshakeVerdict);
        if (!verdict.IsValid)
        {
            Log.CompatibilityRejected(Logger, Context.Connection.Id, Scheme.Name, verdict.Reason.ToString());
            return AuthenticateResult.Fail($"Client certificate failed validation: {verdict.Reason}.");
        }

        var validated = new OfficialValidatedContext(Context, Scheme, Options)
        {
            ClientCertificate = certificate,
            Principal = OfficialCertificateClaims.CreatePrincipal(certificate, Options.ClaimsIssuer),
        };
        await Events.CertificateValidated(validated).ConfigureAwait(false);
        if (validated.Result is not null)
        {
            return validated.Result;
        }

        validated.Success();
        return validated.Result!;
    }

    private PeerValidationResult VerdictFor(X509Certificate2 certificate, PeerValidationResult? handshakeVerdict)
    {
        // The handshake judged this very certificate: use its verdict. Otherwise (a handshake not wired by AddMutualTls,
        // or a certificate that is not the connection's, e.g. forwarded) judge it here, once per certificate instance.
        if (handshakeVerdict is { Identity: { } identity } && string.Equals(identity.ThumbprintSha1, certificate.Thumbprint, StringComparison.Ordinal))
        {
            return handshakeVerdict;
        }

        Log.CompatibilityFallbackValidation(Logger, Context.Connection.Id, Scheme.Name);
        return server.ValidateFallback(certificate);
    }

    private async Task<CertificateAuthenticationFailedContext> FailedAsync(Exception exception)
    {
        var failed = new CertificateAuthenticationFailedContext(Context, Scheme, Options) { Exception = exception };
        await Events.AuthenticationFailed(failed).ConfigureAwait(false);
        return failed;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var challenge = new CertificateChallengeContext(Context, Scheme, Options, properties);
        await Events.Challenge(challenge).ConfigureAwait(false);
        if (challenge.Handled)
        {
            return;
        }

        // As the official handler: the certificate is asked for at the connection, so the best answer here is 403.
        await HandleForbiddenAsync(properties).ConfigureAwait(false);
    }
}
