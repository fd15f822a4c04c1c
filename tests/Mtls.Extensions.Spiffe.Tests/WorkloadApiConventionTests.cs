using System.Security.Cryptography;
using Mtls.Extensions.Spiffe.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>Address forms go-spiffe users write, against real Kestrel and the fake Workload API.</summary>
public sealed class WorkloadApiConventionTests : IAsyncLifetime, IDisposable
{
    private readonly SpiffePki _pki = new();
    private FakeWorkloadApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeWorkloadApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Socket_UnixWithoutAuthority_ServesTheSvid()
    {
        // unix:/path (no "//"): accepted by the Workload Endpoint spec and go-spiffe; a start-up error before.
        using var svid = _pki.IssueServer();
        _api.Publish(_pki.Svid(svid));
        await using var server = await SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:WorkloadApi:Socket"] = "unix:" + _api.SocketPath,
        });
        using var client = _pki.IssueClient();
        using var presented = await server.HandshakeAsync(client.Certificate);
        Assert.Equal(svid.ThumbprintSha256, presented.GetCertHashString(HashAlgorithmName.SHA256));
    }
}
