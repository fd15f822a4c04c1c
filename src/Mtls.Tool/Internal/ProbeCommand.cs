using System.Globalization;
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
/// <c>mtls probe</c>: connects as an mTLS client and reports the handshake, the library's verdict on the server's
/// certificate, and whether the server accepted ours (with the symptom and its likely meaning when it did not).
/// </summary>
internal static class ProbeCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public sealed record Request(string Url, string Cert, string? Key, string Ca, string? ExpectedServer, string? Password);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "The server's certificate is judged by the library's validator and reported; the probe goes on to learn whether the server accepts ours, and sends no secret.")]
    public static async Task<int> RunAsync(Request request, CommandOutput output, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"'{request.Url}': not an https://host:port address.");
        }

        var (leaf, intermediates) = LoadClientCertificate(request);
        TrustBundle trust;
        try
        {
            trust = File.Exists(request.Ca) ? TrustBundle.LoadFile(request.Ca, "--ca") : throw new UsageException($"--ca '{request.Ca}': no such file.");
        }
        catch (CertificateLoadException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        var expected = string.IsNullOrWhiteSpace(request.ExpectedServer)
            ? []
            : request.ExpectedServer.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => ("--expected-server", e)).ToList();
        PeerValidationOptions options;
        try
        {
            options = HandshakePolicy.BuildPeerOptions(new PeerPolicySettings(false, 4, false, expected));
        }
        catch (InvalidOperationException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        var hostName = options.AllowedPeers.Count == 0 ? uri.IdnHost : null;
        var validator = new PeerCertificateValidator();
        PeerValidationResult? serverVerdict = null;
        var json = new JsonObject { ["command"] = "probe", ["target"] = request.Url };
        var text = new StringBuilder();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(uri.IdnHost, uri.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return Fail(json, text, output, $"{uri.Host}:{uri.Port}: {(ex is OperationCanceledException ? "no answer" : ex.Message)}", "nothing listens there, or a firewall drops the connection.");
        }

        var ssl = new SslStream(tcp.GetStream());
        await using (ssl.ConfigureAwait(false))
        {
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = uri.IdnHost,
                    ClientCertificateContext = SslStreamCertificateContext.Create(leaf, intermediates, offline: true),
                    ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                    CertificateChainPolicy = new X509ChainPolicy { DisableCertificateDownloads = true },
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    {
                        var presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                        serverVerdict = validator.Validate(presented, chain?.ChainPolicy.ExtraStore, trust, PeerRole.Server, options, hostName);
                        return true;
                    },
                }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
            {
                AddServerVerdict(json, text, serverVerdict);
                return Fail(json, text, output, $"the handshake failed: {(ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds} s" : ex.Message)}",
                    serverVerdict is null
                        ? "the server ended the handshake before sending its certificate: a TLS version or cipher mismatch, or not a TLS port."
                        : "the server refused the handshake after seeing our certificate (a TLS alert): it does not trust our CA or does not allow our identity; its log has the reason.");
            }

            json["protocol"] = ssl.SslProtocol.ToString();
            json["cipher"] = ssl.NegotiatedCipherSuite.ToString();
            json["alpn"] = ssl.NegotiatedApplicationProtocol.Protocol.Length == 0 ? null : ssl.NegotiatedApplicationProtocol.ToString();
            text.Append(CultureInfo.InvariantCulture, $"connected: {json["protocol"]}, {json["cipher"]}, ALPN {json["alpn"]?.ToString() ?? "(none)"}\n");
            AddServerVerdict(json, text, serverVerdict);
            var (accepted, symptom, meaning) = await OurCertificateAsync(ssl, uri, timeout.Token).ConfigureAwait(false);
            json["ourCertificate"] = accepted ? "accepted" : "rejected";
            json["symptom"] = symptom;
            text.Append(CultureInfo.InvariantCulture, $"our certificate: {(accepted ? "accepted" : "rejected")} ({symptom})\n");
            if (meaning is not null)
            {
                json["likelyMeaning"] = meaning;
                text.Append(CultureInfo.InvariantCulture, $"  likely: {meaning}\n");
            }

            var resumption = accepted
                ? await ResumptionProbe.CheckAsync(uri, request.Cert, request.Key, leaf, request.Ca, cancellationToken).ConfigureAwait(false)
                : new ResumptionProbe.Result(null, "not checked: the server did not accept our certificate");
            json["resumption"] = resumption.Resumed;
            json["resumptionReason"] = resumption.Reason;
            text.Append(CultureInfo.InvariantCulture, $"resumption: {(resumption.Resumed switch { true => "yes", false => "no", null => "unknown" })} ({resumption.Reason})\n");

            return output.Write(accepted && serverVerdict?.IsValid == true ? ExitCodes.Ok : ExitCodes.Failed, json, text.ToString());
        }
    }

    /// <summary>Sends the smallest request the negotiated protocol allows and reads the first answer.</summary>
    private static async Task<(bool Accepted, string Symptom, string? Meaning)> OurCertificateAsync(SslStream ssl, Uri uri, CancellationToken cancellationToken)
    {
        const string RejectedMeaning = "the server closed the connection without answering: a .NET/Kestrel server rejecting a client certificate sends no TLS alert under TLS 1.3; its log (event 201) has the reason. Run `mtls verify` on our certificate with the server's configuration.";
        var h2 = ssl.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2;
        var request = h2
            ? [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0]
            : Encoding.ASCII.GetBytes($"HEAD / HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\n\r\n");
        var buffer = new byte[4096];
        int read;
        try
        {
            await ssl.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            read = await ssl.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return (false, $"no answer within {Timeout.TotalSeconds} s", "the server neither answered nor closed: it may be waiting for something else.");
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return (false, $"the connection failed after the handshake: {ex.Message}", RejectedMeaning);
        }

        if (read == 0)
        {
            return (false, "the connection ended after the handshake without an answer (EOF)", RejectedMeaning);
        }

        if (h2)
        {
            // The server's first HTTP/2 frame; a SETTINGS frame (type 4) means the connection is up.
            return read >= 9 && buffer[3] == 4 ? (true, "HTTP/2 SETTINGS received", null) : (false, "an unexpected HTTP/2 frame", null);
        }

        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        var status = answer.Split('\n')[0].Trim();
        if (status.Contains(" 400 ", StringComparison.Ordinal) && (answer.Contains("SSL certificate", StringComparison.OrdinalIgnoreCase) || answer.Contains("nginx", StringComparison.OrdinalIgnoreCase)))
        {
            return (false, status, "nginx answers a client certificate it does not accept with HTTP 400 (\"The SSL certificate error\" or \"No required SSL certificate was sent\"); its error log has the reason.");
        }

        return (true, status, null);
    }

    private static void AddServerVerdict(JsonObject json, StringBuilder text, PeerValidationResult? verdict)
    {
        if (verdict is null)
        {
            return;
        }

        json["serverVerdict"] = verdict.IsValid ? "accepted" : "rejected";
        json["serverReason"] = verdict.Reason.ToString();
        json["serverMessage"] = verdict.Message;
        text.Append(CultureInfo.InvariantCulture, $"server certificate: {(verdict.IsValid ? "accepted" : $"rejected: {verdict.Reason}")}\n  {verdict.Message}\n");
    }

    private static int Fail(JsonObject json, StringBuilder text, CommandOutput output, string error, string meaning)
    {
        json["error"] = error;
        json["likelyMeaning"] = meaning;
        text.Append(CultureInfo.InvariantCulture, $"error: {error}\n  likely: {meaning}\n");
        return output.Write(ExitCodes.Failed, json, text.ToString());
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) LoadClientCertificate(Request request)
    {
        var all = CertificateFiles.Load(request.Cert, "--cert", request.Password);
        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(all.Skip(1).ToArray());
        if (all[0].HasPrivateKey)
        {
            return (all[0], intermediates);
        }

        if (request.Key is null)
        {
            throw new UsageException($"--key: required, '{request.Cert}' holds no private key.");
        }

        try
        {
            return (X509Certificate2.CreateFromPemFile(request.Cert, request.Key), intermediates);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
        {
            throw new UsageException($"--key '{request.Key}': not the PEM private key of '{request.Cert}': {ex.Message}", ex);
        }
    }
}
