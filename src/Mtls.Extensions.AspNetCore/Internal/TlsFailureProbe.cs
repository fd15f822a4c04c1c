using System.Security.Authentication;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The exceptions the TLS stack threw while one connection's handshake ran (seen first-chance, before Kestrel swallows
/// them), reduced to a <see cref="TlsFailureClass"/> and a sentence. Only the TLS stack's exception types are kept, and
/// only until the first one that ends a handshake: an application's exceptions on the same connection are ignored.
/// </summary>
internal sealed class TlsFailureProbe(Microsoft.AspNetCore.Connections.ConnectionContext connection)
{
    private const int MaxKept = 4;

    // OpenSSL error strings (server side) and SslStream messages, by class; the first match wins.
    private static readonly (string Text, TlsFailureClass Class)[] Patterns =
    [
        ("unexpected packet format", TlsFailureClass.NotTls),
        ("cannot determine the frame size", TlsFailureClass.NotTls),
        ("http request", TlsFailureClass.NotTls),
        ("http proxy request", TlsFailureClass.NotTls),
        ("unsupported protocol", TlsFailureClass.ProtocolVersion),
        ("wrong version number", TlsFailureClass.ProtocolVersion),
        ("version too low", TlsFailureClass.ProtocolVersion),
        ("no protocols available", TlsFailureClass.ProtocolVersion),
        ("alert protocol version", TlsFailureClass.ProtocolVersion),
        ("no shared cipher", TlsFailureClass.NoSharedParameters),
        ("no suitable signature algorithm", TlsFailureClass.NoSharedParameters),
        ("no shared signature algorithms", TlsFailureClass.NoSharedParameters),
        ("no suitable key share", TlsFailureClass.NoSharedParameters),
        ("did not return a certificate", TlsFailureClass.NoCertificate),
        ("certificate required", TlsFailureClass.NoCertificate),
        ("excessive message size", TlsFailureClass.SizeLimit),
        ("record overflow", TlsFailureClass.SizeLimit),
        ("data length too long", TlsFailureClass.SizeLimit),
        ("bad signature", TlsFailureClass.BadSignature),
        ("signature", TlsFailureClass.BadSignature),
        ("decrypt error", TlsFailureClass.BadSignature),
        ("asn1", TlsFailureClass.DecodeError),
        ("decode error", TlsFailureClass.DecodeError),
        ("length mismatch", TlsFailureClass.DecodeError),
        ("bad packet", TlsFailureClass.DecodeError),
        ("bad message", TlsFailureClass.DecodeError),
        ("bad certificate", TlsFailureClass.DecodeError),
        ("unexpected message", TlsFailureClass.DecodeError),
    ];

    private readonly Lock _gate = new();
    private List<Exception>? _seen;

    /// <summary>Keeps the first few exceptions of the TLS stack thrown before the client certificate was judged.</summary>
    public void Seen(Exception exception)
    {
        // After the verdict the handshake's outcome is known: the application's exceptions are none of our business.
        if (!IsTlsStackException(exception) || connection.Features.Get<IMtlsPeerFeature>() is MtlsPeerFeature { Result: not null })
        {
            return;
        }

        lock (_gate)
        {
            // Allocated only when a handshake goes wrong: an accepted connection carries nothing but this object.
            _seen ??= new List<Exception>(MaxKept);
            if (_seen.Count < MaxKept)
            {
                _seen.Add(exception);
            }
        }
    }

    public static string TagOf(TlsFailureClass failure) => failure switch
    {
        TlsFailureClass.Closed => "closed",
        TlsFailureClass.NotTls => "not_tls",
        TlsFailureClass.ProtocolVersion => "protocol_version",
        TlsFailureClass.NoSharedParameters => "no_shared_parameters",
        TlsFailureClass.NoCertificate => "no_certificate",
        TlsFailureClass.BadSignature => "bad_signature",
        TlsFailureClass.DecodeError => "decode_error",
        TlsFailureClass.SizeLimit => "size_limit",
        TlsFailureClass.Timeout => "timeout",
        TlsFailureClass.PeerAlert => "peer_alert",
        _ => "other",
    };

    /// <summary>The class of the failure and a sentence saying what happened (the TLS stack's own words quoted, capped).</summary>
    public (TlsFailureClass Class, string Detail) Classify()
    {
        Exception? failure;
        lock (_gate)
        {
            // Classified over everything seen: the OpenSSL error is the inner exception of the first, the SslStream
            // exception that ended the handshake comes last.
            failure = _seen?.Count switch
            {
                null or 0 => null,
                1 => _seen![0],
                _ => new AggregateException(_seen!),
            };
        }

        if (failure is null)
        {
            return (TlsFailureClass.Closed, "the connection ended before the handshake finished and the TLS stack reported no error: the client closed it without a TLS alert (for example a load balancer's TCP health check, which connects and closes).");
        }

        var root = Innermost(failure is AggregateException all ? all.InnerExceptions[0] : failure);
        var quoted = PeerText.Escape(root.Message, 200);
        if (HasException<OperationCanceledException>(failure) || HasException<TimeoutException>(failure))
        {
            return (TlsFailureClass.Timeout, "the handshake did not finish within Kestrel's handshake timeout (HttpsConnectionAdapterOptions.HandshakeTimeout, 10 seconds by default): the client connected and then sent too little (a stalled or deliberately slow client).");
        }

        var text = string.Join(" | ", Chain(failure).Select(e => e.Message));
        if (text.Contains(" alert ", StringComparison.OrdinalIgnoreCase) && !text.Contains("alert protocol version", StringComparison.OrdinalIgnoreCase))
        {
            return (TlsFailureClass.PeerAlert, $"the client ended the handshake with a TLS alert ('{quoted}'): it refused this server, usually because it does not trust the server's certificate (its CA is not in the client's trust store, or the name it connected to is not in the certificate).");
        }

        foreach (var (pattern, failureClass) in Patterns)
        {
            if (text.Contains(pattern, StringComparison.OrdinalIgnoreCase))
            {
                return (failureClass, Describe(failureClass, quoted));
            }
        }

        if (IsEndOfStream(failure))
        {
            return (TlsFailureClass.Closed, $"the client closed the connection before the handshake finished, without a TLS alert ('{quoted}'): a load balancer's TCP health check, or a client that gave up.");
        }

        return (TlsFailureClass.Other, $"the TLS stack refused the handshake ('{quoted}').");
    }

    private static string Describe(TlsFailureClass failure, string quoted) => failure switch
    {
        TlsFailureClass.NotTls => $"the client did not speak TLS ('{quoted}'): for example plain HTTP sent to this HTTPS port; use https:// with a client certificate.",
        TlsFailureClass.ProtocolVersion => $"the client offered no TLS version this server accepts ('{quoted}'): mutual TLS here needs TLS 1.2 or 1.3; the client offered an older version only.",
        TlsFailureClass.NoSharedParameters => $"the client offered no cipher suite, group or signature algorithm this server accepts ('{quoted}').",
        TlsFailureClass.NoCertificate => $"the client sent no certificate ('{quoted}'): configure the client to present its certificate and key.",
        TlsFailureClass.BadSignature => $"the client's proof of its key (CertificateVerify) does not verify ('{quoted}'): it presented a certificate whose private key it does not hold (a stolen or mismatched certificate, or a key file that belongs to another certificate).",
        TlsFailureClass.DecodeError => $"the client sent a handshake message or certificate that does not decode ('{quoted}'): a garbage or corrupted certificate.",
        TlsFailureClass.SizeLimit => $"the client sent a handshake message above the TLS stack's size limit ('{quoted}'): usually a certificate chain that is far too large (send only the leaf and its intermediates).",
        _ => $"the TLS stack refused the handshake ('{quoted}').",
    };

    private static bool IsTlsStackException(Exception exception) =>
        exception is AuthenticationException or IOException or OperationCanceledException or TimeoutException or System.Security.Cryptography.CryptographicException ||
        exception.GetType().FullName?.StartsWith("Interop+", StringComparison.Ordinal) == true;

    private static bool IsEndOfStream(Exception exception)
    {
        foreach (var e in Chain(exception))
        {
            if (e is IOException && (e.Message.Contains("closed the transport stream", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("EOF", StringComparison.Ordinal)))
            {
                return true;
            }

            if (e is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.ConnectionResetException)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        if (exception is AggregateException all)
        {
            foreach (var inner in all.InnerExceptions)
            {
                foreach (var e in Chain(inner))
                {
                    yield return e;
                }
            }

            yield break;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static bool HasException<T>(Exception exception)
        where T : Exception => Chain(exception).Any(e => e is T);
}
