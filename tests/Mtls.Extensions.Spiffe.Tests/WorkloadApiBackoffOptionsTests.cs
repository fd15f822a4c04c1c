using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Spiffe.Internal;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>
/// <c>WorkloadApi:Backoff:Initial</c> and <c>:Max</c> shape the delays between connection attempts. The delays run on a
/// FakeTimeProvider; the test advances it in small steps and records every scheduled retry.
/// </summary>
public sealed class WorkloadApiBackoffOptionsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-backoff-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Provider_ConfiguredBackoff_RetriesGrowByInitialUpToMax()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var provider = new WorkloadApiSourceProvider(time, loggerFactory: null, metrics: null) { Environment = _ => null };
        var options = new CertificateSourceOptions();
        options.WorkloadApi.Socket = "unix://" + Path.Combine(_folder, "no-agent.sock");
        options.WorkloadApi.Backoff.Initial = TimeSpan.FromMilliseconds(250);
        options.WorkloadApi.Backoff.Max = TimeSpan.FromMilliseconds(600);

        var client = provider.GetClient(options, "Mtls:Server:Certificate");
        var delays = new ConcurrentQueue<TimeSpan>();
        client.RetryScheduled += delays.Enqueue;

        // No agent: every attempt fails. Advance the fake clock in steps until the cap has been reached twice (bounded).
        for (var i = 0; i < 400 && delays.Count(d => d == options.WorkloadApi.Backoff.Max) < 2; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(5);
        }

        // The first retry (250 ms) may be scheduled before the handler is attached; every later one is recorded.
        var seen = delays.ToArray();
        var start = seen.Length > 0 && seen[0] == TimeSpan.FromMilliseconds(250) ? 1 : 0;
        Assert.True(seen.Length - start >= 3, $"retries seen: [{string.Join(", ", seen)}]");
        Assert.Equal(
            [TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(600)],
            seen.Skip(start).Take(3));
    }
}
