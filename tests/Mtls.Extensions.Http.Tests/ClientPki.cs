using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Http.Tests;

/// <summary>The PKI the client tests share: a fleet root with an issuing CA, and a second, unrelated CA.</summary>
public sealed class ClientPki : IDisposable
{
    public const string InventoryId = "spiffe://example.org/ns/prod/sa/inventory";
    public const string OrdersId = "spiffe://example.org/ns/prod/sa/orders";

    public ClientPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mtls-client-tests-").FullName;
        Root = TestPki.CreateRoot("Fleet Root");
        Issuing = Root.CreateIntermediate("Fleet Issuing CA");
        Other = TestPki.CreateRoot("Other Root");
        Server = Issuing.IssueLocalhostServer("inventory", InventoryId);
        Orders = Issuing.IssueClient("orders", OrdersId);
        CaPath = Root.WriteCertificatePem(Path.Combine(Directory, "ca.pem"));
    }

    public string Directory { get; }

    public TestCertificateAuthority Root { get; }

    public TestCertificateAuthority Issuing { get; }

    public TestCertificateAuthority Other { get; }

    public TestCertificate Server { get; }

    public TestCertificate Orders { get; }

    public string CaPath { get; }

    /// <summary>Writes a certificate and key as PEM files under a fresh sub-folder; returns (cert, key).</summary>
    public (string Certificate, string Key) Write(TestCertificate certificate, string? name = null)
    {
        var folder = System.IO.Directory.CreateDirectory(Path.Combine(Directory, name ?? Guid.NewGuid().ToString("N"))).FullName;
        var cert = Path.Combine(folder, "tls.crt");
        var key = Path.Combine(folder, "tls.key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }

    public void Dispose()
    {
        Server.Dispose();
        Orders.Dispose();
        Issuing.Dispose();
        Other.Dispose();
        Root.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
