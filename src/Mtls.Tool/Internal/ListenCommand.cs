using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Mtls.Extensions;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Tool.Internal;

/// <summary>
/// <c>mtls listen</c>: a one-shot mTLS server. It waits for one client to complete a TLS handshake, shows the chain the
/// client sent as a tree and the library's verdict on it (as <c>Mtls:Server</c> with default options judges it), and exits
/// 0 (accepted) or 1 (rejected, or no client in time). A connection that closes before its handshake does not count.
/// </summary>
internal static class ListenCommand
{
    public sealed record Request(int Port, string Ca, string? Cert, string? Key, string? Password, string Address, int TimeoutSeconds);

    public static async Task<int> RunAsync(Request request, CommandOutput output, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (request.Port is < 0 or > 65535)
        {
            throw new UsageException($"--port {request.Port}: not a TCP port (0 to 65535).");
        }

        if (request.TimeoutSeconds is < 1 or > 86400)
        {
            throw new UsageException($"--timeout {request.TimeoutSeconds}: between 1 and 86400 seconds.");
        }

        if (!IPAddress.TryParse(request.Address, out var address))
        {
            throw new UsageException($"--address '{request.Address}': not an IP address.");
        }

        TrustBundle trust;
        try
        {
            trust = File.Exists(request.Ca) ? TrustBundle.LoadFile(request.Ca, "--ca") : throw new UsageException($"--ca '{request.Ca}': no such file.");
        }
        catch (CertificateLoadException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        using var serverCertificate = request.Cert is null ? CreateThrowawayCertificate() : LoadServerCertificate(request);
        var context = SslStreamCertificateContext.Create(serverCertificate.Leaf, serverCertificate.Intermediates, offline: true);
        var options = HandshakePolicy.BuildPeerOptions(new PeerPolicySettings(false, 4, false, []) { ConfigurationPath = "Mtls:Server" });
        var validator = new PeerCertificateValidator();

        using var listener = new TcpListener(address, request.Port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            throw new UsageException($"--port {request.Port}: cannot listen on {address}: {ex.Message}", ex);
        }

        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        await stderr.WriteLineAsync($"listening on {endpoint} for one mTLS client{(request.Cert is null ? " (a throwaway self-signed server certificate: clients must not verify it, e.g. curl -k)" : string.Empty)}").ConfigureAwait(false);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(request.TimeoutSeconds));
        var json = new JsonObject { ["command"] = "listen", ["endpoint"] = endpoint.ToString() };
        var text = new StringBuilder();
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                json["error"] = $"no client completed a handshake within {request.TimeoutSeconds} s";
                text.Append(CultureInfo.InvariantCulture, $"error: {json["error"]}\n");
                return output.Write(ExitCodes.Failed, json, text.ToString());
            }

            using (client)
            {
                var ssl = new SslStream(client.GetStream());
                await using (ssl.ConfigureAwait(false))
                {
                    X509Certificate2? leaf = null;
                    var sent = new List<X509Certificate2>();
                    PeerValidationResult? verdict = null;
                    try
                    {
                        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = context,
                            ClientCertificateRequired = true,
                            ApplicationProtocols = [SslApplicationProtocol.Http11],
                            CertificateChainPolicy = new X509ChainPolicy { DisableCertificateDownloads = true },
                            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                            {
                                leaf = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                                var extra = chain?.ChainPolicy.ExtraStore ?? [];
                                sent = [.. extra.Where(c => leaf is null || !c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))];
                                verdict = validator.Validate(leaf, [.. sent], trust, PeerRole.Client, options);

                                // As the service does: a rejected client does not get a session.
                                return verdict.IsValid;
                            },
                        }, timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is AuthenticationException or IOException)
                    {
                        if (verdict is null)
                        {
                            // Closed before sending a certificate message (a port check, a client that gave up): not the client we wait for.
                            continue;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        continue;
                    }

                    if (verdict is null)
                    {
                        continue;
                    }

                    json["protocol"] = ssl.IsAuthenticated ? ssl.SslProtocol.ToString() : null;
                    Describe(json, text, leaf, sent, verdict);
                    if (ssl.IsAuthenticated)
                    {
                        await AnswerAsync(ssl, text.ToString(), timeout.Token).ConfigureAwait(false);
                    }

                    return output.Write(verdict.IsValid ? ExitCodes.Ok : ExitCodes.Failed, json, text.ToString());
                }
            }
        }
    }

    private static void Describe(JsonObject json, StringBuilder text, X509Certificate2? leaf, List<X509Certificate2> sent, PeerValidationResult verdict)
    {
        var now = TimeProvider.System.GetUtcNow();
        var chainJson = new JsonArray();
        if (leaf is null)
        {
            text.Append("the client sent no certificate\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"the client sent {1 + sent.Count} certificate{(sent.Count == 0 ? string.Empty : "s")}:\n");
            var (ordered, unrelated) = CertificateView.Order([leaf, .. sent]);
            for (var i = 0; i < ordered.Count; i++)
            {
                var view = CertificateView.Describe(ordered[i], now);
                chainJson.Add(view);
                var indent = new string(' ', 2 * i);
                text.Append(CultureInfo.InvariantCulture, $"{indent}{(i == 0 ? string.Empty : "└─ ")}{ordered[i].Subject}{(i == 0 ? " (leaf)" : string.Empty)}\n");
                CertificateView.AppendText(text, view, indent + (i == 0 ? "    " : "      "));
            }

            foreach (var other in unrelated)
            {
                var view = CertificateView.Describe(other, now);
                chainJson.Add(view);
                text.Append(CultureInfo.InvariantCulture, $"(not part of the chain) {other.Subject}\n");
                CertificateView.AppendText(text, view, "    ");
            }
        }

        json["chain"] = chainJson;
        json["verdict"] = verdict.IsValid ? "accepted" : "rejected";
        json["reason"] = verdict.Reason.ToString();
        json["message"] = verdict.Message;
        text.Append(CultureInfo.InvariantCulture, $"{(verdict.IsValid ? "accepted" : $"rejected: {verdict.Reason}")}\n  {verdict.Message}\n");
        if (!verdict.IsValid)
        {
            text.Append(CultureInfo.InvariantCulture, $"  more:       mtls explain {verdict.Reason}\n");
        }
    }

    /// <summary>Answers an HTTP/1.1 request (curl) with the report; a client that sends nothing (openssl s_client) just gets the close.</summary>
    private static async Task AnswerAsync(SslStream ssl, string report, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(2));
        var buffer = new byte[8192];
        try
        {
            var read = await ssl.ReadAsync(buffer, wait.Token).ConfigureAwait(false);
            if (read > 0 && Encoding.ASCII.GetString(buffer, 0, read).Contains(" HTTP/1.", StringComparison.Ordinal))
            {
                var body = Encoding.UTF8.GetBytes(report);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await ssl.WriteAsync(head, wait.Token).ConfigureAwait(false);
                await ssl.WriteAsync(body, wait.Token).ConfigureAwait(false);
            }

            await ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or AuthenticationException)
        {
            // The verdict is what was asked for; an answer the client did not wait for changes nothing.
        }
    }

    private sealed class ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates) : IDisposable
    {
        public X509Certificate2 Leaf { get; } = leaf;

        public X509Certificate2Collection Intermediates { get; } = intermediates;

        public void Dispose() => Leaf.Dispose();
    }

    private static ServerCertificate LoadServerCertificate(Request request)
    {
        var all = CertificateFiles.Load(request.Cert!, "--cert", request.Password);
        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(all.Skip(1).ToArray());
        if (all[0].HasPrivateKey)
        {
            return new(all[0], intermediates);
        }

        if (request.Key is null)
        {
            throw new UsageException($"--key: required, '{request.Cert}' holds no private key.");
        }

        try
        {
            return new(X509Certificate2.CreateFromPemFile(request.Cert!, request.Key), intermediates);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
        {
            throw new UsageException($"--key '{request.Key}': not the PEM private key of '{request.Cert}': {ex.Message}", ex);
        }
    }

    private static ServerCertificate CreateThrowawayCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mtls listen throwaway - DEVELOPMENT ONLY", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var now = TimeProvider.System.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        // An ephemeral key exported and re-imported so that SslStream can use it on every platform.
        var leaf = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
        return new(leaf, []);
    }
}
