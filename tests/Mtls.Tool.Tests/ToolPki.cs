using System.Text.Json.Nodes;
using Mtls.Extensions.Testing;

namespace Mtls.Tool.Tests;

/// <summary>A root, an issuing intermediate, a server certificate and a folder the tests write files into.</summary>
public sealed class ToolPki : IDisposable
{
    public ToolPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mtls-tool-").FullName;
        Root = TestPki.CreateRoot("Tool Test Root CA");
        Issuing = Root.CreateIntermediate("Tool Test Issuing CA");
        Server = Issuing.IssueLocalhostServer();
        RootPath = Root.WriteCertificatePem(Path.Combine(Directory, "root.pem"));
        Server.WritePem(Path.Combine(Directory, "server.pem"), Path.Combine(Directory, "server.key"));
    }

    public string Directory { get; }

    public TestCertificateAuthority Root { get; }

    public TestCertificateAuthority Issuing { get; }

    public TestCertificate Server { get; }

    public string RootPath { get; }

    public string File(string name) => Path.Combine(Directory, name);

    /// <summary>Writes a certificate's PEM (leaf, then its intermediates unless <paramref name="withChain"/> is false) and returns its path.</summary>
    public string WriteLeaf(TestCertificate certificate, string name, bool withChain = true)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, certificate.ExportCertificatePem(withChain));
        return path;
    }

    /// <summary>An appsettings.json for the server, with absolute paths, as a service would ship it.</summary>
    public string WriteServerSettings(string name, params string[] allowedPeers)
    {
        var server = new JsonObject
        {
            ["Certificate"] = new JsonObject { ["Path"] = File("server.pem"), ["KeyPath"] = File("server.key") },
            ["TrustedCa"] = new JsonObject { ["Path"] = RootPath },
            ["AllowedPeers"] = new JsonArray([.. allowedPeers.Select(p => (JsonNode)JsonValue.Create(p))]),
        };
        var path = File(name);
        System.IO.File.WriteAllText(path, new JsonObject { ["Mtls"] = new JsonObject { [nameof(Server)] = server } }.ToJsonString());
        return path;
    }

    public void Dispose()
    {
        Server.Dispose();
        Issuing.Dispose();
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
