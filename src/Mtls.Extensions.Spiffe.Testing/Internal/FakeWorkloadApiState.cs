using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Mtls.Extensions.Spiffe.Testing.Internal.WorkloadApi;

namespace Mtls.Extensions.Spiffe.Testing.Internal;

/// <summary>What the fake serves: the current message, the open streams, the injected failure, the calls seen.</summary>
internal sealed class FakeWorkloadApiState
{
    private readonly Lock _lock = new();
    private readonly List<Channel<X509SVIDResponse>> _streams = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _callWaiters = [];
    private readonly List<string?> _headers = [];
    private X509SVIDResponse? _current;
    private Status? _failure;

    public int Calls
    {
        get
        {
            lock (_lock)
            {
                return _headers.Count;
            }
        }
    }

    public int OpenStreams
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    public IReadOnlyList<string?> Headers
    {
        get
        {
            lock (_lock)
            {
                return [.. _headers];
            }
        }
    }

    public void Publish(FakeX509Context context)
    {
        var message = ToMessage(context);
        lock (_lock)
        {
            _current = message;
            foreach (var stream in _streams)
            {
                stream.Writer.TryWrite(message);
            }
        }
    }

    public void Drop(Status status)
    {
        lock (_lock)
        {
            foreach (var stream in _streams)
            {
                stream.Writer.TryComplete(new RpcException(status));
            }

            _streams.Clear();
        }
    }

    public void FailWith(Status? status)
    {
        lock (_lock)
        {
            _failure = status;
        }
    }

    public Task WaitForCalls(int count)
    {
        lock (_lock)
        {
            if (_headers.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _callWaiters.Add((count, done));
            return done.Task;
        }
    }

    /// <summary>Records a call; returns the stream to serve, or throws the status the call must end with.</summary>
    public Channel<X509SVIDResponse> Begin(string? header)
    {
        lock (_lock)
        {
            _headers.Add(header);
            foreach (var waiter in _callWaiters.Where(w => _headers.Count >= w.Count).ToList())
            {
                _callWaiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }

            if (!string.Equals(header, "true", StringComparison.Ordinal))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "security header missing from request"));
            }

            if (_failure is { } failure)
            {
                throw new RpcException(failure);
            }

            var stream = Channel.CreateUnbounded<X509SVIDResponse>(new UnboundedChannelOptions { SingleReader = true });
            if (_current is not null)
            {
                stream.Writer.TryWrite(_current);
            }

            _streams.Add(stream);
            return stream;
        }
    }

    public void End(Channel<X509SVIDResponse> stream)
    {
        lock (_lock)
        {
            _streams.Remove(stream);
        }
    }

    private static X509SVIDResponse ToMessage(FakeX509Context context)
    {
        var message = new X509SVIDResponse();
        foreach (var svid in context.Svids)
        {
            message.Svids.Add(new X509SVID
            {
                SpiffeId = svid.SpiffeId,
                X509Svid = ByteString.CopyFrom(svid.Chain.Span),
                X509SvidKey = ByteString.CopyFrom(svid.Key.Span),
                Bundle = ByteString.CopyFrom(svid.Bundle.Span),
                Hint = svid.Hint,
            });
        }

        foreach (var (trustDomain, bundle) in context.FederatedBundles)
        {
            message.FederatedBundles[trustDomain] = ByteString.CopyFrom(FakeSvid.Der(bundle));
        }

        return message;
    }
}
