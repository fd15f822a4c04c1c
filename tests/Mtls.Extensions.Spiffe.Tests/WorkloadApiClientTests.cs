using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Spiffe.Internal;
using Mtls.Extensions.Spiffe.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

public sealed class WorkloadApiClientTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly SpiffePki _pki = new();
    private readonly FakeLogger<WorkloadApiClient> _logger = new();
    private FakeWorkloadApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeWorkloadApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Stream_FirstMessage_DeliversSvidAndBundleWithSecurityHeaderOnEveryCall()
    {
        using var server = _pki.IssueServer();
        _api.Publish(_pki.Svid(server));
        using var client = CreateClient(TimeProvider.System);
        var first = client.WaitForFirst(Wait, "test");

        Assert.Equal(server.ThumbprintSha256, first.Select(null)!.Material.ThumbprintSha256);
        Assert.Equal(SpiffePki.ServerId, first.Svids[0].Id.ToString());
        Assert.Equal(["example.org"], first.Bundles.Keys);
        Assert.All(_api.SecurityHeaders, h => Assert.Equal("true", h));
    }

    [Fact]
    public async Task Stream_EveryMessageIsWholeState_FederatedBundleAbsentFromNextMessageIsRemoved()
    {
        using var server = _pki.IssueServer();
        var svid = _pki.Svid(server);
        _api.Publish(new FakeX509Context { Svids = [svid], FederatedBundles = new Dictionary<string, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>> { ["spiffe://partner.org"] = [_pki.PartnerRoot.PublicCopy()] } });
        using var client = CreateClient(TimeProvider.System);
        var first = client.WaitForFirst(Wait, "test");
        Assert.Equal(["example.org", "partner.org"], first.Bundles.Keys.Order(StringComparer.Ordinal));

        var next = NextUpdate(client);
        _api.Publish(svid);
        var second = await next.WaitAsync(Wait);

        Assert.Equal(["example.org"], second.Bundles.Keys);
        Assert.Same(second, client.Current);
    }

    [Theory]
    [InlineData("key")]
    [InlineData("chain")]
    [InlineData("bundle")]
    [InlineData("id")]
    [InlineData("none")]
    public async Task Stream_MessageMissingMandatoryField_DiscardedReportedAndLastGoodKept(string missing)
    {
        using var server = _pki.IssueServer();
        var good = _pki.Svid(server);
        _api.Publish(good);
        using var client = CreateClient(TimeProvider.System);
        var first = client.WaitForFirst(Wait, "test");

        using var rotated = _pki.IssueServer();
        var bad = _pki.Svid(rotated);
        bad = missing switch
        {
            "key" => bad with { Key = Array.Empty<byte>() },
            "chain" => bad with { Chain = Array.Empty<byte>() },
            "bundle" => bad with { Bundle = Array.Empty<byte>() },
            "id" => bad with { SpiffeId = string.Empty },
            _ => bad,
        };
        var discarded = NextDiscard(client);
        _api.Publish(missing == "none" ? new FakeX509Context() : new FakeX509Context { Svids = [bad] });
        var reason = await discarded.WaitAsync(Wait);

        Assert.Same(first, client.Current);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Id.Id == 604 && r.Message.Contains(reason, StringComparison.Ordinal));
        Assert.Equal(server.ThumbprintSha256, client.Current!.Svids[0].Material.ThumbprintSha256);
    }

    [Fact]
    public async Task Stream_KeyOfAnotherCertificate_Discarded()
    {
        using var server = _pki.IssueServer();
        using var other = _pki.IssueServer();
        _api.Publish(_pki.Svid(server));
        using var client = CreateClient(TimeProvider.System);
        var first = client.WaitForFirst(Wait, "test");

        var discarded = NextDiscard(client);
        _api.Publish(_pki.Svid(server) with { Key = _pki.Svid(other).Key });
        await discarded.WaitAsync(Wait);
        Assert.Same(first, client.Current);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.Unimplemented)]
    public async Task StatusTable_ConfigurationErrors_NotRetriedAndLoggedAsConfigurationError(StatusCode status)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        _api.FailWith(status);
        using var client = CreateClient(time);
        client.Start();
        await client.Completion.WaitAsync(Wait);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, _api.Calls);
        Assert.True(client.Stopped);
        Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Id.Id == 603 && r.Level == LogLevel.Error);
        var ex = Assert.Throws<CertificateLoadException>(() => client.WaitForFirst(Wait, "test"));
        Assert.Contains(status.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.Internal)]
    public async Task StatusTable_Retryable_RetriedAfterBackoffOnTheTimeProvider(StatusCode status)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        _api.FailWith(status);
        using var client = CreateClient(time);
        var scheduled = NextRetry(client);
        client.Start();
        var delay = await scheduled.WaitAsync(Wait);
        Assert.Equal(TimeSpan.FromSeconds(1), delay); // go-spiffe's linear backoff: 1 s, 2 s, 3 s, ... to 30 s
        Assert.Equal(1, _api.Calls);
        Assert.False(client.Stopped);

        // Time has not moved: no second call. Then the backoff elapses and the client calls again.
        scheduled = NextRetry(client);
        time.Advance(delay);
        await _api.WaitForCallsAsync(2).WaitAsync(Wait);
        var second = await scheduled.WaitAsync(Wait);
        Assert.Equal(TimeSpan.FromSeconds(2), second);

        // Once the endpoint serves again, the next retry connects and the backoff starts over.
        using var leaf = _pki.IssueServer();
        _api.Publish(_pki.Svid(leaf));
        _api.FailWith(null);
        time.Advance(second);
        var first = await Task.Run(() => client.WaitForFirst(Wait, "test")).WaitAsync(Wait);
        Assert.Equal(leaf.ThumbprintSha256, first.Svids[0].Material.ThumbprintSha256);
        Assert.Null(client.LastError);
    }

    [Fact]
    public async Task Stream_Dropped_LastGoodKeptErrorVisibleThenRestored()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var leaf = _pki.IssueServer();
        _api.Publish(_pki.Svid(leaf));
        using var client = CreateClient(time);
        var first = await Task.Run(() => client.WaitForFirst(Wait, "test")).WaitAsync(Wait);

        var scheduled = NextRetry(client);
        _api.DropStreams();
        var delay = await scheduled.WaitAsync(Wait);
        Assert.Same(first, client.Current);
        Assert.IsType<RpcException>(client.LastError);

        var update = NextUpdate(client);
        time.Advance(delay);
        await update.WaitAsync(Wait);
        Assert.Null(client.LastError);
        Assert.Equal(2, _api.Calls);
    }

    private WorkloadApiClient CreateClient(TimeProvider time) =>
        new(WorkloadApiAddress.Parse(_api.Address, "test"), time, _logger, metrics: null);

    private static Task<X509Context> NextUpdate(WorkloadApiClient client)
    {
        var done = new TaskCompletionSource<X509Context>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(X509Context c)
        {
            client.Updated -= Handler;
            done.TrySetResult(c);
        }

        client.Updated += Handler;
        return done.Task;
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

    private static Task<string> NextDiscard(WorkloadApiClient client)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(string reason)
        {
            client.Discarded -= Handler;
            done.TrySetResult(reason);
        }

        client.Discarded += Handler;
        return done.Task;
    }
}
