using System.Diagnostics;
using System.Net;
using System.Net.Http;
using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// The primary handler <c>IHttpClientFactory</c> gets for an mTLS client: a thin front on the client's
/// <see cref="MtlsClientHandlerPool"/>. Each request runs on the current handler lease and holds it until its response
/// body is done; certificate rejections become <see cref="MtlsHandshakeException"/>, including nginx's HTTP 400
/// certificate-error answer. Disposing it leaves the pool alone.
/// </summary>
internal sealed class MtlsPrimaryHandler(MtlsClientHandlerPool pool, ILogger logger) : HttpMessageHandler
{
    // Per request: a scheme check, one reference taken on the lease, one timestamp, one async frame and the body
    // wrapper that holds the reference. Nothing else is allocated or looked up; connection history is kept by the
    // connector (new connections only) and certificate rejections are classified only when a request fails.
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var lease = Begin(request);
        var started = Stopwatch.GetTimestamp();
        Task<HttpResponseMessage> sending;
        try
        {
            sending = lease.Invoker.SendAsync(request, cancellationToken);
        }
        catch (Exception exception) when (Rejection(exception, request, lease, started) is { } rejection)
        {
            throw rejection;
        }

        return CompleteAsync(sending, request, lease, started, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var lease = Begin(request);
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = lease.Invoker.Send(request, cancellationToken);
        }
        catch (Exception exception) when (Rejection(exception, request, lease, started) is { } rejection)
        {
            throw rejection;
        }

        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return Leased(response, lease);
        }

        string? nginx;
        try
        {
            nginx = NginxCertificateError.Find(response, cancellationToken);
        }
        catch
        {
            response.Dispose();
            lease.Release();
            throw;
        }

        return nginx is null ? Leased(response, lease) : throw RejectedByNginx(response, request, lease, nginx);
    }

    private async Task<HttpResponseMessage> CompleteAsync(Task<HttpResponseMessage> sending, HttpRequestMessage request, HandlerLease lease, long started, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await sending.ConfigureAwait(false);
        }
        catch (Exception exception) when (Rejection(exception, request, lease, started) is { } rejection)
        {
            throw rejection;
        }

        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return Leased(response, lease);
        }

        string? nginx;
        try
        {
            nginx = await NginxCertificateError.FindAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            lease.Release();
            throw;
        }

        return nginx is null ? Leased(response, lease) : throw RejectedByNginx(response, request, lease, nginx);
    }

    private HandlerLease Begin(HttpRequestMessage request)
    {
        // Only BaseAddress is validated at start-up: an absolute http:// URI would otherwise go out in cleartext,
        // without a client certificate and without any check of the server.
        if (request.RequestUri is not { IsAbsoluteUri: true } uri || !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The mTLS client '{pool.Name}' refuses to send a request to '{PeerText.Escape(request.RequestUri?.ToString() ?? "(no URI)", 512)}': only https URIs are sent, so that nothing leaves in cleartext, without a client certificate or a server check. Nothing was sent.");
        }

        // A request object sent again (a retry) starts with a clean connection history.
        pool.Connector.Forget(request);
        return pool.Acquire();
    }

    private static HttpResponseMessage Leased(HttpResponseMessage response, HandlerLease lease)
    {
        // The body keeps the handler alive until it is read or disposed.
        response.Content = new LeasedContent(response.Content, lease);
        return response;
    }

    private MtlsHandshakeException RejectedByNginx(HttpResponseMessage response, HttpRequestMessage request, HandlerLease lease, string page)
    {
        response.Dispose();
        lease.Release();
        var host = request.RequestUri?.IdnHost ?? "(unknown host)";
        var ours = $"{lease.Material.Certificate.Subject} (SHA-256 {lease.Material.ThumbprintSha256})";
        Log.RejectedByServer(logger, pool.Name, host, MtlsRejectionReason.RejectedByPeer, $"HTTP 400 '{page}'");
        return new MtlsHandshakeException(
            $"The server {host} rejected the client certificate {ours} of the mTLS client '{pool.Name}': it answered HTTP 400 '{page}' (nginx with ssl_verify_client). " +
            "Check that the server pins the CA that issued it (ssl_client_certificate) and that the chain it sends is complete (ssl_verify_depth).",
            MtlsRejectionReason.RejectedByPeer, MtlsHandshakeSide.Server, pool.Name, request.RequestUri);
    }

    /// <summary>Releases the lease; returns the typed rejection when a certificate was rejected.</summary>
    private MtlsHandshakeException? Rejection(Exception exception, HttpRequestMessage request, HandlerLease lease, long started)
    {
        lease.Release();
        return pool.Classifier.Classify(exception, request, lease, started);
    }
}
