using System.Diagnostics;
using System.Net.Http;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// The primary handler <c>IHttpClientFactory</c> gets for an mTLS client: a thin front on the client's
/// <see cref="MtlsClientHandlerPool"/>. Each request runs on the current handler lease and holds it until its response
/// body is done; certificate rejections become <see cref="MtlsHandshakeException"/>. Disposing it leaves the pool alone.
/// </summary>
internal sealed class MtlsPrimaryHandler(MtlsClientHandlerPool pool) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (lease, started) = Begin(request);
        try
        {
            return Leased(await lease.Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false), lease);
        }
        catch (Exception exception)
        {
            if (Rejection(exception, request, lease, started) is { } rejection)
            {
                throw rejection;
            }

            throw;
        }
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (lease, started) = Begin(request);
        try
        {
            return Leased(lease.Invoker.Send(request, cancellationToken), lease);
        }
        catch (Exception exception)
        {
            if (Rejection(exception, request, lease, started) is { } rejection)
            {
                throw rejection;
            }

            throw;
        }
    }

    private (HandlerLease Lease, long Started) Begin(HttpRequestMessage request)
    {
        // Only BaseAddress is validated at start-up: an absolute http:// URI would otherwise go out in cleartext,
        // without a client certificate and without any check of the server.
        if (request.RequestUri is not { IsAbsoluteUri: true } uri || !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The mTLS client '{pool.Name}' refuses to send a request to '{PeerText.Escape(request.RequestUri?.ToString() ?? "(no URI)", 512)}': only https URIs are sent, so that nothing leaves in cleartext, without a client certificate or a server check. Nothing was sent.");
        }

        // A request object sent again (a retry) starts with a clean connection history.
        ConnectionAttempt.Forget(request);
        return (pool.Acquire(), Stopwatch.GetTimestamp());
    }

    private static HttpResponseMessage Leased(HttpResponseMessage response, HandlerLease lease)
    {
        // The body keeps the handler alive until it is read or disposed.
        response.Content = new LeasedContent(response.Content, lease);
        return response;
    }

    /// <summary>Releases the lease; returns the typed rejection when a certificate was rejected.</summary>
    private MtlsHandshakeException? Rejection(Exception exception, HttpRequestMessage request, HandlerLease lease, long started)
    {
        lease.Release();
        return pool.Classify(exception, request, lease, started);
    }
}
