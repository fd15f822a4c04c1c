using Mtls.Extensions.Spiffe.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>Two trust domains, each with its own root, and helpers to mint SVIDs in them.</summary>
public sealed class SpiffePki : IDisposable
{
    public const string ServerId = "spiffe://example.org/ns/prod/sa/inventory";
    public const string ClientId = "spiffe://example.org/ns/prod/sa/orders";
    public const string PartnerClientId = "spiffe://partner.org/ns/prod/sa/billing";

    public TestCertificateAuthority Root { get; } = TestPki.CreateRoot("example.org root");
    public TestCertificateAuthority PartnerRoot { get; } = TestPki.CreateRoot("partner.org root");

    public TestCertificate IssueServer(TestCertificateAuthority? ca = null) => (ca ?? Root).IssueLocalhostServer("inventory", ServerId);

    public TestCertificate IssueClient(string id = ClientId, TestCertificateAuthority? ca = null) => (ca ?? Root).IssueClient(id.Split('/')[^1], id);

    public FakeSvid Svid(TestCertificate leaf, TestCertificateAuthority? bundleCa = null, string? hint = null) =>
        FakeSvid.Create(leaf.Certificate, leaf.Intermediates, [(bundleCa ?? Root).PublicCopy()], hint);

    public void Dispose()
    {
        Root.Dispose();
        PartnerRoot.Dispose();
    }
}
