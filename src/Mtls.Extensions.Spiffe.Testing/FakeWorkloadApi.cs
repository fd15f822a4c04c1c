using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Spiffe.Testing.Internal;

namespace Mtls.Extensions.Spiffe.Testing;

/// <summary>
/// A fake SPIFFE Workload API: real gRPC (HTTP/2) on a Unix socket, served by Kestrel, that a test drives.
/// It checks the <c>workload.spiffe.io: true</c> header (InvalidArgument without it, as the spec says),
/// sends the current state on every new <c>FetchX509SVID</c> stream and every later <see cref="Publish(FakeX509Context)"/>
/// to every open stream, ends streams on <see cref="DropStreams"/> and answers new calls with a status on <see cref="FailWith"/>.
/// </summary>
public sealed class FakeWorkloadApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeWorkloadApiState _state;

    private FakeWorkloadApi(WebApplication app, FakeWorkloadApiState state, string socketPath)
    {
        _app = app;
        _state = state;
        SocketPath = socketPath;
    }

    /// <summary>Gets the socket's path.</summary>
    /// <value>An absolute path.</value>
    public string SocketPath { get; }

    /// <summary>Gets the address to configure (<c>Certificate:WorkloadApi:Socket</c> or <c>SPIFFE_ENDPOINT_SOCKET</c>).</summary>
    /// <value><c>unix:///…</c>.</value>
    public string Address => "unix://" + SocketPath;

    /// <summary>Gets how many <c>FetchX509SVID</c> calls arrived (including refused ones).</summary>
    /// <value>Zero or more.</value>
    public int Calls => _state.Calls;

    /// <summary>Gets how many streams are open now.</summary>
    /// <value>Zero or more.</value>
    public int OpenStreams => _state.OpenStreams;

    /// <summary>Gets the value of the <c>workload.spiffe.io</c> header of every call, in order (<see langword="null"/> when absent).</summary>
    /// <value>One entry per call.</value>
    public IReadOnlyList<string?> SecurityHeaders => _state.Headers;

    /// <summary>Starts a fake on a new socket in the temp folder (or <paramref name="socketPath"/>).</summary>
    /// <param name="socketPath">The socket's path; a fresh one when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running fake; dispose it to stop.</returns>
    public static async Task<FakeWorkloadApi> StartAsync(string? socketPath = null, CancellationToken cancellationToken = default)
    {
        // Unix socket paths are limited to about 100 bytes: keep them short.
        socketPath ??= Path.Combine(Path.GetTempPath(), $"wapi-{Guid.NewGuid():N}"[..17] + ".sock");
        var state = new FakeWorkloadApiState();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapGrpcService<FakeWorkloadApiService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new FakeWorkloadApi(app, state, socketPath);
    }

    /// <summary>Makes a message the current state and sends it to every open stream (a rotation, a federation change…).</summary>
    /// <param name="context">The complete state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is <see langword="null"/>.</exception>
    public void Publish(FakeX509Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _state.Publish(context);
    }

    /// <summary>Publishes SVIDs without federated bundles.</summary>
    /// <param name="svids">The SVIDs.</param>
    public void Publish(params FakeSvid[] svids) => Publish(new FakeX509Context { Svids = svids });

    /// <summary>Ends every open stream with a status (the agent restarting, a network blip).</summary>
    /// <param name="status">The status; <see cref="StatusCode.Unavailable"/> by default.</param>
    /// <param name="detail">The status detail.</param>
    public void DropStreams(StatusCode status = StatusCode.Unavailable, string detail = "stream dropped by the test") =>
        _state.Drop(new Status(status, detail));

    /// <summary>Answers every new call with a status until called again with <see langword="null"/>.</summary>
    /// <param name="status">The status, or <see langword="null"/> to serve again.</param>
    /// <param name="detail">The status detail.</param>
    public void FailWith(StatusCode? status, string detail = "failure injected by the test") =>
        _state.FailWith(status is { } code ? new Status(code, detail) : null);

    /// <summary>Completes when at least <paramref name="count"/> calls have arrived.</summary>
    /// <param name="count">The number of calls.</param>
    /// <returns>A task.</returns>
    public Task WaitForCallsAsync(int count) => _state.WaitForCalls(count);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _state.Drop(new Status(StatusCode.Unavailable, "fake Workload API stopped"));
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        File.Delete(SocketPath);
    }
}
