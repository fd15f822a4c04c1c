using Microsoft.Extensions.Configuration;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>Mtls:Server:Forwarding:Proxies set through environment-variable keys exactly as written; every bad entry stops start-up naming its key.</summary>
public sealed class ForwardingConfigurationTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private string StartFailsWithEnvironment(Dictionary<string, string> variables)
    {
        var prefix = $"MTLSFWD{Guid.NewGuid():N}_";
        foreach (var (key, value) in variables)
        {
            Environment.SetEnvironmentVariable(prefix + key, value);
        }

        try
        {
            using var host = new MtlsTestHost(pki, configureConfiguration: c => c.AddEnvironmentVariables(prefix));
            var ex = Assert.ThrowsAny<Exception>(() => host.StartServer());
            var messages = new List<string>();
            for (Exception? e = ex; e is not null; e = e.InnerException)
            {
                messages.Add(e.Message);
                if (e is AggregateException aggregate)
                {
                    messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
                }
            }

            return string.Join(" | ", messages);
        }
        finally
        {
            foreach (var key in variables.Keys)
            {
                Environment.SetEnvironmentVariable(prefix + key, null);
            }
        }
    }

    [Fact]
    public void Proxies_BadEntriesFromEnvironmentKeys_StopStartupNamingEachKey()
    {
        var text = StartFailsWithEnvironment(new()
        {
            ["Mtls__Server__Forwarding__Proxies__0__Network"] = "10.0.0.1/8",
            ["Mtls__Server__Forwarding__Proxies__0__Format"] = "Nginx",
            ["Mtls__Server__Forwarding__Proxies__1__Peer"] = "spiffe://example.org/ns/infra/sa/ingress",
            ["Mtls__Server__Forwarding__Proxies__2__Format"] = "Envoy",
            ["Mtls__Server__Forwarding__Proxies__3__Peer"] = "spiffe://example.org/ns/infra/sa/ingress",
            ["Mtls__Server__Forwarding__Proxies__3__Format"] = "Rfc9440",
            ["Mtls__Server__Forwarding__Proxies__3__Header"] = "X-Client-Cert",
            ["Mtls__Server__Forwarding__Proxies__4__Peer"] = "spiffe://",
            ["Mtls__Server__Forwarding__Proxies__4__Format"] = "Haproxy",
        });

        Assert.Contains("Mtls:Server:Forwarding:Proxies:0:Network: '10.0.0.1/8' is not a CIDR network", text, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Forwarding:Proxies:1:Format: required; one of Rfc9440, Envoy, Nginx, Haproxy, AwsAlb, AzureArr.", text, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Forwarding:Proxies:2: set Peer", text, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Forwarding:Proxies:3:Header: the Rfc9440 format always uses its own headers", text, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Forwarding:Proxies:4:Peer: 'spiffe://' is not a peer identity", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Proxies_UnknownFormatFromEnvironmentKey_StopsStartupNamingTheKey()
    {
        var text = StartFailsWithEnvironment(new()
        {
            ["Mtls__Server__Forwarding__Proxies__0__Network"] = "127.0.0.1/32",
            ["Mtls__Server__Forwarding__Proxies__0__Format"] = "Traefik",
        });

        Assert.Contains("Mtls:Server:Forwarding:Proxies:0:Format", text, StringComparison.Ordinal);
    }
}
