using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Mtls.Tool.Internal;

/// <summary><c>mtls inspect</c>: a chain from a file, a folder in a known layout or a live server, as a tree.</summary>
internal static class InspectCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string target, string? password, string? at, CommandOutput output, CancellationToken cancellationToken)
    {
        var now = VerifyCommand.ParseAt(at).GetUtcNow();
        var json = new JsonObject { ["command"] = "inspect", ["target"] = target };
        var text = new StringBuilder();
        List<X509Certificate2> certificates;
        List<X509Certificate2> bundle = [];
        if (target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var server = await FetchAsync(target, cancellationToken).ConfigureAwait(false);
            if (server.Error is not null && server.Sent.Count == 0)
            {
                json["error"] = server.Error;
                text.Append(CultureInfo.InvariantCulture, $"error: {server.Error}\n");
                return output.Write(ExitCodes.Failed, json, text.ToString());
            }

            certificates = server.Sent;
            json["protocol"] = server.Protocol;
            json["acceptableClientCas"] = new JsonArray([.. server.AcceptableIssuers.Select(i => (JsonNode)JsonValue.Create(i))]);
            text.Append(CultureInfo.InvariantCulture, $"server {target} ({server.Protocol}) sent {certificates.Count} certificate(s)\n");
            text.Append(CultureInfo.InvariantCulture, $"client CAs it asks for: {(server.AcceptableIssuers.Count == 0 ? "(none named)" : string.Join("; ", server.AcceptableIssuers))}\n");
        }
        else if (Directory.Exists(target))
        {
            var (layout, chain, caBundle) = CertificateFiles.LoadFolder(target, "FOLDER");
            certificates = chain;
            bundle = caBundle;
            json["layout"] = layout;
            text.Append(CultureInfo.InvariantCulture, $"folder {target}: {layout} layout\n");
        }
        else
        {
            certificates = CertificateFiles.Load(target, "FILE", password);
        }

        var (ordered, unrelated) = CertificateView.Order(certificates);
        var chainJson = new JsonArray();
        for (var i = 0; i < ordered.Count; i++)
        {
            var view = CertificateView.Describe(ordered[i], now);
            chainJson.Add(view);
            var indent = new string(' ', 2 * i);
            text.Append(CultureInfo.InvariantCulture, $"{indent}{(i == 0 ? string.Empty : "└─ ")}{ordered[i].Subject}{(i == 0 ? " (leaf)" : string.Empty)}\n");
            CertificateView.AppendText(text, view, indent + (i == 0 ? "    " : "      "));
        }

        json["chain"] = chainJson;
        Section(json, text, "unrelated", "not part of the chain", unrelated, now);
        Section(json, text, "trustBundle", "trust bundle", bundle, now);
        return output.Write(ExitCodes.Ok, json, text.ToString());
    }

    private static void Section(JsonObject json, StringBuilder text, string key, string title, List<X509Certificate2> certificates, DateTimeOffset now)
    {
        if (certificates.Count == 0)
        {
            return;
        }

        var array = new JsonArray();
        text.Append(CultureInfo.InvariantCulture, $"{title}:\n");
        foreach (var certificate in certificates)
        {
            var view = CertificateView.Describe(certificate, now);
            array.Add(view);
            text.Append(CultureInfo.InvariantCulture, $"  {certificate.Subject}\n");
            CertificateView.AppendText(text, view, "      ");
        }

        json[key] = array;
    }

    /// <summary>What a server sends in a handshake (its chain, the client CAs it names), without judging or sending anything.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "inspect shows what a server sends; it trusts nothing and sends nothing on that connection.")]
    internal static async Task<(List<X509Certificate2> Sent, List<string> AcceptableIssuers, string? Protocol, string? Error)> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port <= 0)
        {
            throw new UsageException($"'{url}': not an https://host:port address.");
        }

        var sent = new List<X509Certificate2>();
        var issuers = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(uri.IdnHost, uri.Port, timeout.Token).ConfigureAwait(false);
            var ssl = new SslStream(tcp.GetStream());
            await using (ssl.ConfigureAwait(false))
            {
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = uri.IdnHost,
                        RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                        {
                            if (certificate is not null)
                            {
                                sent.Add(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                            }

                            // The certificates the server sent besides its leaf; trust is not decided here (see mtls probe).
                            foreach (var extra in chain?.ChainPolicy.ExtraStore ?? [])
                            {
                                sent.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
                            }

                            // inspect shows what the server sends and sends nothing back: no trust is decided on this connection.
                            return true;
                        },
                        LocalCertificateSelectionCallback = (_, _, _, _, acceptable) =>
                        {
                            issuers.AddRange(acceptable);
                            return null!;
                        },
                    }, timeout.Token).ConfigureAwait(false);
                    return (sent, issuers, ssl.SslProtocol.ToString(), null);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException && sent.Count > 0)
                {
                    // A server that requires a client certificate may end the handshake once it sees none: what it sent stands.
                    return (sent, issuers, null, ex.Message);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            return (sent, issuers, null, $"{uri.Host}:{uri.Port}: {(ex is OperationCanceledException ? $"no answer within {ConnectTimeout.TotalSeconds} s" : ex.Message)}");
        }
    }
}
