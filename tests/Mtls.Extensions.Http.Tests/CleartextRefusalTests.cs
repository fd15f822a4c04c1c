using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

public sealed class CleartextRefusalTests(ClientPki pki) : IClassFixture<ClientPki>
{
    [Fact]
    public async Task AbsoluteHttpUri_OnAnMtlsClient_FailsBeforeAnythingIsSent()
    {
        // A real cleartext listener: had the request gone out, it would have received a connection and bytes.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = 0L;
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                var buffer = new byte[4096];
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                Interlocked.Add(ref received, n);
            }
            catch (OperationCanceledException)
            {
            }
        });

        var tests = new MtlsHttpClientTests(pki);
        await using var provider = tests.Client(new Uri($"https://127.0.0.1:{port}/"), pki.Orders);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");
        var cleartext = new Uri($"http://127.0.0.1:{port}/secret?token=1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync(cleartext, timeout.Token));

        Assert.Contains("'inventory'", error.Message, StringComparison.Ordinal);
        Assert.Contains(cleartext.ToString(), error.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the client opened a cleartext connection");
        stop.Cancel();
        await accepting;
        Assert.Equal(0, Interlocked.Read(ref received));
    }
}
