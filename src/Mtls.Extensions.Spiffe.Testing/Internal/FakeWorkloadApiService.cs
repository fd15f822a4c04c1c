using Grpc.Core;
using Mtls.Extensions.Spiffe.Testing.Internal.WorkloadApi;

namespace Mtls.Extensions.Spiffe.Testing.Internal;

internal sealed class FakeWorkloadApiService(FakeWorkloadApiState state) : SpiffeWorkloadAPI.SpiffeWorkloadAPIBase
{
    public override async Task FetchX509SVID(X509SVIDRequest request, IServerStreamWriter<X509SVIDResponse> responseStream, ServerCallContext context)
    {
        var stream = state.Begin(context.RequestHeaders.GetValue("workload.spiffe.io"));
        try
        {
            while (await stream.Reader.WaitToReadAsync(context.CancellationToken).ConfigureAwait(false))
            {
                while (stream.Reader.TryRead(out var message))
                {
                    await responseStream.WriteAsync(message, context.CancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (Find(ex) is { } rpc)
        {
            throw rpc;
        }
        finally
        {
            state.End(stream);
        }

        // Completed without an error: the test dropped the stream with an OK status.
    }

    private static RpcException? Find(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is RpcException rpc)
            {
                return rpc;
            }
        }

        return null;
    }
}
