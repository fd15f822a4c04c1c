using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Tests;

/// <summary>The two events that were LoggerMessage.Define calls keep their ids, names, levels and exceptions as source-generated events.</summary>
public sealed class LogTests
{
    [Fact]
    public void WatchFailed_LogsEvent406_WithTheFolderAndTheException()
    {
        var logger = new FakeLogger();
        var error = new IOException("inotify limit");

        Log.WatchFailed(logger, error, "/etc/tls", "certificate", "server", TimeSpan.FromMinutes(1));

        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(new EventId(406, "WatchFailed"), record.Id);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Same(error, record.Exception);
        Assert.Equal("Cannot watch /etc/tls for changes of certificate server; relying on polling every 00:01:00 (zero: never).", record.Message);
    }

    [Fact]
    public void ChangeCallbackFailed_LogsEvent407_WithTheException()
    {
        var logger = new FakeLogger();
        var error = new AggregateException(new InvalidOperationException("subscriber bug"));

        Log.ChangeCallbackFailed(logger, error, "certificate", "client:inventory");

        var record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(new EventId(407, "ChangeCallbackFailed"), record.Id);
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Same(error, record.Exception);
        Assert.Equal("A change callback of certificate client:inventory threw; the new material is in place and other callbacks ran.", record.Message);
    }
}
