using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Reads the verdict the TLS handshake already produced for this connection and projects it to claims
/// (cached on the connection): no chain building, no parsing, per request.
/// </summary>
internal sealed class MutualTlsAuthenticationHandler(
    IOptionsMonitor<MutualTlsAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    MutualTlsServer server)
    : AuthenticationHandler<MutualTlsAuthenticationOptions>(options, new ForbiddenLineFilter(logger), encoder)
{
    private new MutualTlsEvents Events => (MutualTlsEvents)base.Events!;

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new MutualTlsEvents());

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var feature = Context.Features.Get<IMtlsPeerFeature>() ?? await FallbackAsync().ConfigureAwait(false);

        // Once per connection: later requests on a keep-alive connection reuse the first request's outcome (the verdict,
        // the claims and the events' decisions), as the official handler's validation cache does across connections.
        // The cache holds a copy and every request gets its own copy: a principal is never shared between requests
        // (HTTP/2 streams run concurrently, and claims transformations mutate the principal they are given).
        if (feature is MtlsPeerFeature cacheable && cacheable.GetAuthenticateResult(Scheme.Name) is { } cached)
        {
            return cached.Clone();
        }

        var outcome = await AuthenticateConnectionAsync(feature).ConfigureAwait(false);
        if (feature is MtlsPeerFeature store && (outcome.Succeeded || outcome.Failure is not null))
        {
            store.SetAuthenticateResult(Scheme.Name, outcome.Clone());
        }

        return outcome;
    }

    private async Task<AuthenticateResult> AuthenticateConnectionAsync(IMtlsPeerFeature? feature)
    {
        var result = feature?.Result;
        if (result is null || result.Reason == MtlsRejectionReason.NoCertificate)
        {
            Log.NoCertificate(Logger, Context.Connection.Id);
            return AuthenticateResult.NoResult();
        }

        if (!result.IsValid)
        {
            Log.AuthenticationFailed(Logger, Context.Connection.Id, result.Reason);
            var failed = new MutualTlsAuthenticationFailedContext(Context, Scheme, Options, new AuthenticationFailureException($"{result.Reason}: {PeerText.Escape(result.Message, PeerText.MaxMessageLength)}"), result);
            await Events.AuthenticationFailed(failed).ConfigureAwait(false);
            return failed.Result ?? AuthenticateResult.Fail(failed.Exception);
        }

        var identity = new ClaimsIdentity(feature!.GetClaims(ClaimsIssuer), Scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        var validated = new CertificateValidatedContext(Context, Scheme, Options, result)
        {
            Principal = new ClaimsPrincipal(identity),
        };
        await Events.CertificateValidated(validated).ConfigureAwait(false);
        if (validated.Result is { } decided)
        {
            if (decided.Failure is not null)
            {
                var failed = new MutualTlsAuthenticationFailedContext(Context, Scheme, Options, decided.Failure, result);
                await Events.AuthenticationFailed(failed).ConfigureAwait(false);
                return failed.Result ?? decided;
            }

            return decided;
        }

        validated.Success();
        return validated.Result!;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var challenge = new MutualTlsChallengeContext(Context, Scheme, Options, properties);
        await Events.Challenge(challenge).ConfigureAwait(false);
        if (challenge.Handled)
        {
            return;
        }

        // 401: no (valid) client certificate. Unlike the official handler (403), "who are you" and "not you" stay distinct.
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = MutualTlsDefaults.AuthenticationScheme;
    }

    private async Task<IMtlsPeerFeature?> FallbackAsync()
    {
        // A connection whose handshake was not wired by AddMutualTls: validate once and keep the verdict on the connection.
        var items = Context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(MtlsPeerFeature.FallbackKey, out var cached))
        {
            return (IMtlsPeerFeature)cached!;
        }

        var certificate = await Context.Connection.GetClientCertificateAsync(Context.RequestAborted).ConfigureAwait(false);
        if (certificate is null)
        {
            return null;
        }

        Log.FallbackValidation(Logger, Context.Connection.Id);
        var feature = new MtlsPeerFeature { Result = server.ValidateFallback(certificate) };
        if (items is not null)
        {
            items[MtlsPeerFeature.FallbackKey] = feature;
        }

        return feature;
    }
}
