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
        var started = Stopwatch.GetTimestamp();
        ConnectionAttempt.Forget(request);
        var lease = pool.Acquire();
        HttpResponseMessage response;
        try
        {
            response = await lease.Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            lease.Release();
            if (pool.Classify(exception, request, lease, started) is { } rejection)
            {
                throw rejection;
            }

            throw;
        }

        response.Content = new LeasedContent(response.Content, lease);
        return response;
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        ConnectionAttempt.Forget(request);
        var lease = pool.Acquire();
        HttpResponseMessage response;
        try
        {
            response = lease.Invoker.Send(request, cancellationToken);
        }
        catch (Exception exception)
        {
            lease.Release();
            if (pool.Classify(exception, request, lease, started) is { } rejection)
            {
                throw rejection;
            }

            throw;
        }

        response.Content = new LeasedContent(response.Content, lease);
        return response;
    }
}
