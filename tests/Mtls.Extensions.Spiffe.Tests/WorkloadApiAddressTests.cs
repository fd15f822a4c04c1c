using Mtls.Extensions.Spiffe.Internal;

namespace Mtls.Extensions.Spiffe.Tests;

public class WorkloadApiAddressTests
{
    [Theory]
    [InlineData("unix:///run/spire/agent.sock", "/run/spire/agent.sock", null)]
    [InlineData("unix:/run/spire/agent.sock", "/run/spire/agent.sock", null)]
    [InlineData("tcp://127.0.0.1:8000", null, "127.0.0.1:8000")]
    [InlineData("tcp://[::1]:8000", null, "[::1]:8000")]
    public void TryParse_SpecExamples_Accepted(string value, string? path, string? endpoint)
    {
        Assert.True(WorkloadApiAddress.TryParse(value, out var address, out var error), error);
        Assert.Equal(path, address.SocketPath);
        Assert.Equal(endpoint, address.TcpEndPoint?.ToString());
    }

    [Theory]
    [InlineData("unix://host/run/agent.sock")]
    [InlineData("unix:relative.sock")]
    [InlineData("unix:/")]
    [InlineData("unix:///run/agent.sock?x=1")]
    [InlineData("unix:///run/agent.sock#f")]
    [InlineData("tcp://localhost:8000")]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://127.0.0.1:8000/foo")]
    [InlineData("http://127.0.0.1:8000")]
    [InlineData("/run/agent.sock")]
    public void TryParse_NotASpecAddress_Refused(string value)
    {
        Assert.False(WorkloadApiAddress.TryParse(value, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Resolve_NoSocketKey_UsesSpiffeEndpointSocket()
    {
        var address = WorkloadApiAddress.Resolve(new WorkloadApiOptions { Enabled = true }, "Mtls:Server:Certificate", _ => "unix:///tmp/agent.sock");
        Assert.Equal("/tmp/agent.sock", address.SocketPath);
    }

    [Fact]
    public void Resolve_KeyAndEnvironment_KeyWins()
    {
        var address = WorkloadApiAddress.Resolve(new WorkloadApiOptions { Socket = "unix:///configured.sock" }, "Mtls:Server:Certificate", _ => "unix:///tmp/agent.sock");
        Assert.Equal("/configured.sock", address.SocketPath);
    }

    [Fact]
    public void Resolve_Neither_ErrorNamesKeyAndVariable()
    {
        var ex = Assert.Throws<CertificateLoadException>(() => WorkloadApiAddress.Resolve(new WorkloadApiOptions { Enabled = true }, "Mtls:Server:Certificate", _ => null));
        Assert.Contains("Mtls:Server:Certificate:WorkloadApi:Socket", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SPIFFE_ENDPOINT_SOCKET", ex.Message, StringComparison.Ordinal);
    }
}
