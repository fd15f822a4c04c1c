using System.Diagnostics;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Spiffe.Internal;
using Mtls.Extensions.Spiffe.Testing;
using Xunit.Abstractions;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>
/// An agent that is not there yet, or goes away and comes back: the client notices its socket appearing (a watch on the
/// socket's folder) instead of waiting out the backoff. The backoff runs on a FakeTimeProvider that is never advanced,
/// so only the watch can explain a reconnection.
/// </summary>
public sealed class WorkloadApiAgentRestartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly SpiffePki _pki = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-agent-").FullName;

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Startup_AgentSocketAppearsLater_ConnectsWithoutWaitingForTheBackoff()
    {
        var socket = Path.Combine(_folder, "agent.sock");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var client = new WorkloadApiClient(WorkloadApiAddress.Parse("unix://" + socket, "test"), time, new FakeLogger<WorkloadApiClient>(), metrics: null);
        var retry = NextRetry(client);
        client.Start();
        Assert.Equal(TimeSpan.FromSeconds(1), await retry.WaitAsync(Wait)); // no socket yet: the first attempt failed

        // Keep the client in a long backoff step: the fake clock is never advanced, so the backoff never ends by itself.
        using var leaf = _pki.IssueServer();
        var starting = Stopwatch.StartNew();
        await using var api = await FakeWorkloadApi.StartAsync(socket);
        api.Publish(_pki.Svid(leaf));
        var clock = Stopwatch.StartNew(); // from the agent serving (its start-up on this machine is not the client's delay)
        output.WriteLine($"fake agent start-up: {starting.ElapsedMilliseconds} ms");
        await api.WaitForCallsAsync(1).WaitAsync(Wait);
        var connected = clock.Elapsed;
        var first = await Task.Run(() => client.WaitForFirst(Wait, "test")).WaitAsync(Wait);
        output.WriteLine($"agent serving -> client's call arrives: {connected.TotalMilliseconds:F0} ms; -> first SVID in use: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(leaf.ThumbprintSha256, first.Svids[0].Material.ThumbprintSha256);
        // The fake clock never moved, so the watch alone brought the client in. The wall time includes the first gRPC call of
        // the process (JIT, HTTP/2 set-up): measured here 0.3-1.0 s on 2 shared cores; the bound leaves room for a loaded CI.
        Assert.True(connected < TimeSpan.FromSeconds(3), $"the client connected after {connected.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Outage_AgentRestartsAfterLongBackoff_ReconnectsWithinTwoSeconds()
    {
        var socket = Path.Combine(_folder, "agent.sock");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var leaf = _pki.IssueServer();
        using var client = new WorkloadApiClient(WorkloadApiAddress.Parse("unix://" + socket, "test"), time, new FakeLogger<WorkloadApiClient>(), metrics: null);
        var api = await FakeWorkloadApi.StartAsync(socket);
        api.Publish(_pki.Svid(leaf));
        await Task.Run(() => client.WaitForFirst(Wait, "test")).WaitAsync(Wait);

        // The agent goes away; its socket file goes with it, as SPIRE's does.
        var retry = NextRetry(client);
        await api.DisposeAsync();
        File.Delete(socket);
        await retry.WaitAsync(Wait);

        using var rotated = _pki.IssueServer();
        var updated = new TaskCompletionSource<X509Context>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Updated += c => updated.TrySetResult(c);
        var starting = Stopwatch.StartNew();
        await using var back = await FakeWorkloadApi.StartAsync(socket);
        back.Publish(_pki.Svid(rotated));
        var clock = Stopwatch.StartNew();
        output.WriteLine($"fake agent start-up: {starting.ElapsedMilliseconds} ms");
        var context = await updated.Task.WaitAsync(Wait);
        output.WriteLine($"agent back -> first message: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(rotated.ThumbprintSha256, context.Svids[0].Material.ThumbprintSha256);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.ElapsedMilliseconds} ms");
    }

    private static Task<TimeSpan> NextRetry(WorkloadApiClient client)
    {
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(TimeSpan d)
        {
            client.RetryScheduled -= Handler;
            done.TrySetResult(d);
        }

        client.RetryScheduled += Handler;
        return done.Task;
    }
}
