using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Spiffe.Testing;

/// <summary>One complete <c>X509SVIDResponse</c>: the SVIDs and the federated bundles.</summary>
public sealed record FakeX509Context
{
    /// <summary>Gets the SVIDs, in order.</summary>
    /// <value>The default is empty (a malformed message).</value>
    public IReadOnlyList<FakeSvid> Svids { get; init; } = [];

    /// <summary>Gets the federated bundles, keyed by the foreign trust domain's SPIFFE ID (<c>spiffe://other.org</c>).</summary>
    /// <value>The default is empty.</value>
    public IReadOnlyDictionary<string, IReadOnlyList<X509Certificate2>> FederatedBundles { get; init; } = new Dictionary<string, IReadOnlyList<X509Certificate2>>();
}
