using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Mtls.Extensions;
using Mtls.Extensions.Testing;

namespace Mtls.Tool.Internal;

/// <summary>
/// <c>mtls dev-ca init|issue</c>: a development PKI (root and issuing intermediate) and leaves, built with the Testing
/// package's builders and written in the layouts the library reads. Every subject says DEVELOPMENT ONLY.
/// </summary>
internal static class DevCaCommand
{
    public const string Marker = "DEVELOPMENT ONLY (mtls dev-ca)";

    private const string RootCertificate = "root.pem";
    private const string RootKey = "root.key";
    private const string IssuingCertificate = "issuing.pem";
    private const string IssuingKey = "issuing.key";
    private const string Bundle = "ca-bundle.pem";

    public static int Init(string directory, string name, string keyType, int days, CommandOutput output)
    {
        var algorithm = ParseKeyType(keyType);
        CheckDays(days);
        Directory.CreateDirectory(directory);
        foreach (var key in new[] { RootKey, IssuingKey })
        {
            var path = Path.Combine(directory, key);
            if (File.Exists(path))
            {
                var refused = $"{path}: a CA key is already there; dev-ca never overwrites a CA key (delete the folder to start over, or use another --dir).";
                return output.Write(ExitCodes.Failed, new JsonObject { ["command"] = "dev-ca init", ["error"] = refused }, $"error: {refused}\n");
            }
        }

        var now = TimeProvider.System.GetUtcNow();
        using var root = TestPki.CreateRoot($"{name} Root CA", o =>
        {
            o.Subject = $"CN={name} Root CA, O={Marker}";
            o.KeyAlgorithm = algorithm;
            o.ValidBetween(now.AddMinutes(-5), now.AddDays(days));
        });
        using var issuing = root.CreateIntermediate($"{name} Issuing CA", o =>
        {
            o.Subject = $"CN={name} Issuing CA, O={Marker}";
            o.KeyAlgorithm = algorithm;
            o.PathLength = 0;
            o.ValidBetween(now.AddMinutes(-5), now.AddDays(days));
        });

        var written = new List<string>
        {
            WriteText(directory, RootCertificate, root.ExportCertificatePem()),
            WriteKey(directory, RootKey, root.ExportKeyPem()),
            WriteText(directory, IssuingCertificate, issuing.ExportCertificatePem()),
            WriteKey(directory, IssuingKey, issuing.ExportKeyPem()),
            WriteText(directory, Bundle, root.ExportCertificatePem()),
            WriteText(directory, "DEVELOPMENT-ONLY.txt", $"Everything in this folder was made by `mtls dev-ca` for development and tests ({Marker}).\nNever pin {Bundle} in production.\n"),
        };
        return Report("dev-ca init", issuing.Certificate, written, output, $"Pin {Path.Combine(directory, Bundle)} (TrustedCa:Path) in development only.");
    }

    public sealed record IssueRequest(
        string Name,
        string Directory,
        string Out,
        string Layout,
        string? SpiffeId,
        IReadOnlyList<string> Dns,
        IReadOnlyList<string> Ip,
        bool Client,
        bool Server,
        int Days,
        string KeyType);

    public static int Issue(IssueRequest request, CommandOutput output)
    {
        var algorithm = ParseKeyType(request.KeyType);
        CheckDays(request.Days);
        if (request.SpiffeId is not null && !Extensions.SpiffeId.TryParse(request.SpiffeId, out _, out var spiffeError))
        {
            throw new UsageException($"--spiffe-id '{request.SpiffeId}': {spiffeError}");
        }

        var addresses = request.Ip.Select(ip => IPAddress.TryParse(ip, out var address) ? address : throw new UsageException($"--ip '{ip}': not an IP address.")).ToArray();
        if (request.Layout == "spiffe-filesystem" && request.SpiffeId is null)
        {
            throw new UsageException("--layout spiffe-filesystem: needs --spiffe-id (the trust bundle file is named after its trust domain).");
        }

        using var root = LoadCa(request.Directory, RootCertificate, RootKey, null);
        using var issuing = LoadCa(request.Directory, IssuingCertificate, IssuingKey, root);
        var now = TimeProvider.System.GetUtcNow();
        using var leaf = issuing.IssueLeaf(request.Name, o =>
        {
            // A server certificate's CN must be one of its DNS SANs (CA/B BR §7.1.4.3, which the library checks): when NAME
            // is not one of them it goes into OU instead, for display.
            o.Subject = request.Dns.Count == 0 || request.Dns.Contains(request.Name, StringComparer.OrdinalIgnoreCase)
                ? $"CN={request.Name}, O={Marker}"
                : $"OU={request.Name}, O={Marker}";
            o.KeyAlgorithm = algorithm;
            o.ValidBetween(now.AddMinutes(-5), now.AddDays(request.Days));
            o.ExtendedKeyUsages = (request.Client, request.Server) switch
            {
                (true, false) => [TestCertificateOptions.ClientAuth],
                (false, true) => [TestCertificateOptions.ServerAuth],
                _ => [TestCertificateOptions.ClientAuth, TestCertificateOptions.ServerAuth],
            };
            if (request.SpiffeId is not null)
            {
                o.WithSpiffeId(request.SpiffeId);
            }

            o.WithDnsNames([.. request.Dns]);
            o.WithIpAddresses(addresses);
        });

        var chain = leaf.ExportCertificatePem(includeChain: true);
        var key = leaf.ExportKeyPem();
        var bundle = root.ExportCertificatePem();
        Directory.CreateDirectory(request.Out);
        List<string> written = request.Layout switch
        {
            "plain" => [WriteText(request.Out, $"{request.Name}.pem", chain), WriteKey(request.Out, $"{request.Name}.key", key), WriteText(request.Out, "ca.pem", bundle)],
            "cert-manager" => [WriteText(request.Out, "tls.crt", chain), WriteKey(request.Out, "tls.key", key), WriteText(request.Out, "ca.crt", bundle)],
            "spiffe-helper" => [WriteText(request.Out, "svid.pem", chain), WriteKey(request.Out, "svid_key.pem", key), WriteText(request.Out, "svid_bundle.pem", bundle)],
            _ =>
            [
                WriteKey(request.Out, "credential-bundle.private-key.pem", key + chain),
                WriteText(request.Out, $"{Extensions.SpiffeId.Parse(request.SpiffeId!).TrustDomain}.spiffe-trust-bundle.pem", bundle),
            ],
        };
        return Report("dev-ca issue", leaf.Certificate, written, output, $"Layout {request.Layout}.");
    }

    private static TestCertificateAuthority LoadCa(string directory, string certificate, string key, TestCertificateAuthority? parent)
    {
        var certificatePath = Path.Combine(directory, certificate);
        var keyPath = Path.Combine(directory, key);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            throw new UsageException($"--dir '{directory}': no {certificate} and {key} there; run `mtls dev-ca init --dir {directory}` first.");
        }

        try
        {
            return TestCertificateAuthority.FromCertificate(X509Certificate2.CreateFromPemFile(certificatePath, keyPath), parent);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new UsageException($"--dir '{directory}': {certificate} with {key} is not a usable CA: {ex.Message}", ex);
        }
    }

    private static int Report(string command, X509Certificate2 certificate, List<string> written, CommandOutput output, string note)
    {
        var json = new JsonObject
        {
            ["command"] = command,
            ["subject"] = certificate.Subject,
            ["sha256"] = certificate.GetCertHashString(HashAlgorithmName.SHA256),
            ["notAfter"] = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["files"] = new JsonArray([.. written.Select(w => (JsonNode)JsonValue.Create(w))]),
        };
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{certificate.Subject} (SHA-256 {json["sha256"]}), valid until {json["notAfter"]}\n");
        foreach (var file in written)
        {
            text.Append(CultureInfo.InvariantCulture, $"  wrote {file}\n");
        }

        text.Append(note).Append(" Development material only.\n");
        return output.Write(ExitCodes.Ok, json, text.ToString());
    }

    private static string WriteText(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Keys are readable by their owner only (the library warns about group- or world-readable keys, event 103).</summary>
    private static string WriteKey(string directory, string name, string content)
    {
        var path = Path.Combine(directory, name);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    private static TestKeyAlgorithm ParseKeyType(string keyType) => keyType switch
    {
        "ecdsa-p256" => TestKeyAlgorithm.EcdsaP256,
        "ecdsa-p384" => TestKeyAlgorithm.EcdsaP384,
        "rsa-2048" => TestKeyAlgorithm.Rsa2048,
        "rsa-3072" => TestKeyAlgorithm.Rsa3072,
        "rsa-4096" => TestKeyAlgorithm.Rsa4096,
        _ => throw new UsageException($"--key-type '{keyType}': use ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096."),
    };

    private static void CheckDays(int days)
    {
        if (days is < 1 or > 3650)
        {
            throw new UsageException($"--days {days}: between 1 and 3650.");
        }
    }
}
