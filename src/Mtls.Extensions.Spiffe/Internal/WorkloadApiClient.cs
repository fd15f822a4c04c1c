using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Spiffe.Internal.WorkloadApi;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// One long-lived <c>FetchX509SVID</c> stream to one Workload API endpoint, shared by every source that
/// uses that endpoint. Each message is the whole state and replaces the previous one; a message missing a
/// mandatory field is discarded and reported. When the stream fails, the last good state stays in use and
/// the client reconnects with jittered exponential backoff, following the Workload Endpoint
/// specification's status table: <c>InvalidArgument</c> and <c>Unimplemented</c> are configuration errors
/// (reported, not retried); <c>Unavailable</c>, <c>PermissionDenied</c> and transport failures are retried.
/// </summary>
internal sealed class WorkloadApiClient : IDisposable
{
    /// <summary>The security header every call carries (SPIFFE Workload Endpoint, section 3).</summary>
    public const string SecurityHeader = "workload.spiffe.io";

    /// <summary>Immediate attempts after the socket appeared, for the moment between the agent's bind and its listen.</summary>
    private const int MaxQuickRetries = 50;

    private readonly WorkloadApiAddress _address;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MtlsMetrics? _metrics;
    private readonly WorkloadApiBackoff _backoff;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<X509Context> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly GrpcChannel _channel;
    private X509Context? _current;
    private Exception? _lastError;
    private int _failures;
    private int _quickRetries;
    private Task? _run;

    public WorkloadApiClient(WorkloadApiAddress address, TimeProvider time, ILogger logger, MtlsMetrics? metrics, WorkloadApiBackoff? backoff = null)
    {
        _address = address;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _backoff = backoff ?? new WorkloadApiBackoff(WorkloadApiBackoff.DefaultInitial, WorkloadApiBackoff.DefaultMax);
        _channel = CreateChannel(address);
    }

    /// <summary>Raised after <see cref="Current"/> was replaced by a new good message.</summary>
    public event Action<X509Context>? Updated;

    /// <summary>Raised when the stream failed or recovered, so sources can refresh their health.</summary>
    public event Action? ConnectionChanged;

    /// <summary>Raised (for tests) when a reconnection delay has been scheduled on the time provider.</summary>
    internal event Action<TimeSpan>? RetryScheduled;

    /// <summary>Raised (for tests) after a message was discarded, with the reason.</summary>
    internal event Action<string>? Discarded;

    public WorkloadApiAddress Address => _address;

    public X509Context? Current => Volatile.Read(ref _current);

    /// <summary>Gets the error of the current disconnection, or <see langword="null"/> while the stream is healthy.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    public DateTimeOffset? LastFailure { get; private set; }

    public DateTimeOffset LastSuccess { get; private set; }

    /// <summary>Gets a value indicating whether the client stopped for good (a configuration error).</summary>
    public bool Stopped { get; private set; }

    /// <summary>Gets the loop task (completes when the client stops for good or is disposed).</summary>
    internal Task Completion => _run ?? Task.CompletedTask;

    public void Start()
    {
        _run ??= Task.Run(RunAsync);
    }

    /// <summary>Waits for the first good message; fails at once on a configuration error, else after the timeout.</summary>
    public X509Context WaitForFirst(TimeSpan timeout, string configurationPath)
    {
        Start();
        try
        {
            return _first.Task.WaitAsync(timeout, _time).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            var last = LastError is { } error ? $" The last error: {Describe(error)}." : string.Empty;
            throw new CertificateLoadException(configurationPath,
                $"no X.509-SVID came from the Workload API at {_address} within {timeout}.{last}", CertificateLoadErrorKind.NotConfigured, LastError);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _run?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the cancellation.
        }

        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var client = new SpiffeWorkloadAPI.SpiffeWorkloadAPIClient(_channel);
        var headers = new Metadata { { SecurityHeader, "true" } };
        while (!_stop.IsCancellationRequested)
        {
            StatusCode status;
            string detail;
            try
            {
                using var call = client.FetchX509SVID(new X509SVIDRequest(), new CallOptions(headers, cancellationToken: _stop.Token));
                while (await call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
                {
                    OnMessage(call.ResponseStream.Current);
                }

                // A stream the server ends cleanly is a disconnection too: the state must keep flowing.
                status = StatusCode.Unavailable;
                detail = "the server ended the stream";
                OnFailure(new RpcException(new Status(status, detail)));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && _stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.Unimplemented)
            {
                Log.ConfigurationError(_logger, _address.Value, ex.StatusCode, PeerText.Escape(ex.Status.Detail));
                OnFailure(ex);
                Stopped = true;
                _first.TrySetException(new CertificateLoadException(_address.Value,
                    $"the Workload API answered {ex.StatusCode} ({PeerText.Escape(ex.Status.Detail)}); this is a configuration error and is not retried.", CertificateLoadErrorKind.NotConfigured, ex));
                ConnectionChanged?.Invoke();
                return;
            }
            catch (RpcException ex)
            {
                status = ex.StatusCode;
                detail = PeerText.Escape(ex.Status.Detail);
                OnFailure(ex);
            }
#pragma warning disable CA1031 // Transport failures (socket missing, reset) are retried like Unavailable.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                status = StatusCode.Unavailable;
                detail = PeerText.Escape(ex.Message);
                OnFailure(ex);
            }

            var delay = _backoff.Next();
            Log.StreamFailed(_logger, _address.Value, status, detail, delay);
            ConnectionChanged?.Invoke();
            if (!await WaitForRetryAsync(delay).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Waits out the backoff, or less: a unix socket appearing in its folder (the agent starting, or back after an outage)
    /// ends the wait at once, so that the first attempt after the agent returns is not a whole backoff step later.
    /// </summary>
    /// <returns><see langword="false"/> when the client is stopping.</returns>
    private async Task<bool> WaitForRetryAsync(TimeSpan delay)
    {
        if (_quickRetries > 0 && _address.SocketPath is { } appeared && File.Exists(appeared))
        {
            // The socket appeared a moment ago and refused: an agent binds its socket before it listens. Try again at
            // once, a bounded number of times, rather than a whole backoff step later.
            _quickRetries--;
            await Task.Yield();
            return !_stop.IsCancellationRequested;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var existed = _address.SocketPath is { } socket && File.Exists(socket);
        using var watcher = WatchSocket(wake);
        try
        {
            var wait = Task.Delay(delay, _time, wake.Token);
            RetryScheduled?.Invoke(delay);
            if (!existed && _address.SocketPath is { } path && File.Exists(path))
            {
                return true; // appeared before the watch started
            }

            await wait.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // The socket appeared.
            _quickRetries = MaxQuickRetries;
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return !_stop.IsCancellationRequested;
    }

    private FileSystemWatcher? WatchSocket(CancellationTokenSource wake)
    {
        var folder = _address.SocketPath is { } path ? Path.GetDirectoryName(path) : null;
        if (folder is null || !Directory.Exists(folder))
        {
            return null;
        }

        try
        {
            var watcher = new FileSystemWatcher(folder, Path.GetFileName(_address.SocketPath)!) { NotifyFilter = NotifyFilters.FileName };
            void Wake()
            {
                try
                {
                    wake.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The wait is over already.
                }
            }

            watcher.Created += (_, _) => Wake();
            watcher.Renamed += (_, _) => Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return null; // no watch: the backoff alone decides
        }
    }

    private void OnMessage(X509SVIDResponse response)
    {
        if (!X509Context.TryCreate(response, $"Workload API {_address}", _time, out var context, out var error))
        {
            Log.MessageDiscarded(_logger, _address.Value, error!);
            _metrics?.Reloaded("workload-api", "workload-api", succeeded: false);
            Discarded?.Invoke(error!);

            // Nothing good came yet: bad first material stops start-up now, naming what is wrong, instead of a time-out.
            _first.TrySetException(new CertificateLoadException($"Workload API {_address}", $"the first message was discarded: {error}", CertificateLoadErrorKind.Other));
            return;
        }

        var recovered = Interlocked.Exchange(ref _lastError, null) is not null;
        if (recovered)
        {
            Log.Reconnected(_logger, _address.Value, _failures);
        }

        _failures = 0;
        _quickRetries = 0;
        _backoff.Reset();
        LastSuccess = _time.GetUtcNow();
        Volatile.Write(ref _current, context);
        Log.Update(_logger, _address.Value, context!.Describe());
        _metrics?.Reloaded("workload-api", "workload-api", succeeded: true);
        _first.TrySetResult(context);
        Updated?.Invoke(context);
        if (recovered)
        {
            ConnectionChanged?.Invoke();
        }
    }

    private void OnFailure(Exception error)
    {
        _failures++;
        LastFailure = _time.GetUtcNow();
        Volatile.Write(ref _lastError, error);
    }

    private static string Describe(Exception error) => error is RpcException rpc ? $"{rpc.StatusCode}: {PeerText.Escape(rpc.Status.Detail)}" : PeerText.Escape(error.Message);

    private static GrpcChannel CreateChannel(WorkloadApiAddress address)
    {
        var handler = new SocketsHttpHandler
        {
            // The stream is long-lived: never recycle the connection under it; detect a dead peer with pings.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        };
        if (address.SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };

            // The authority is never resolved: the connect callback above dials the socket.
            return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        }

        return GrpcChannel.ForAddress($"http://{address.TcpEndPoint}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }
}
