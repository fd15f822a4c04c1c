using System.Buffers;
using System.Buffers.Binary;
using System.Security.Authentication;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// What a client's ClientHello offered towards resuming a session, read from the bytes Kestrel hands
/// <c>TlsClientHelloBytesCallback</c>: a TLS 1.3 pre-shared key (extension 41), a TLS 1.2 session ticket (extension 35
/// with content) or a session id. SslStream does not tell whether a handshake resumed; a handshake whose client offered
/// none of these certainly did not, so it is judged on what the client sent and never with remembered intermediates.
/// </summary>
internal readonly record struct ResumptionOffer(bool PreSharedKey, bool Tls12Session)
{
    private const byte HandshakeRecord = 22;
    private const byte ClientHelloMessage = 1;
    private const ushort SessionTicketExtension = 35;
    private const ushort PreSharedKeyExtension = 41;

    /// <summary>Whether the handshake, which negotiated <paramref name="protocol"/>, may have resumed a session.</summary>
    public bool MayResume(SslProtocols protocol) => protocol == SslProtocols.Tls13 ? PreSharedKey : Tls12Session || PreSharedKey;

    /// <summary>Reads the offer; <see langword="null"/> when the bytes are not a complete ClientHello (then nothing is assumed).</summary>
    public static ResumptionOffer? Read(ReadOnlySequence<byte> records)
    {
        // The ClientHello may span records: concatenate their payloads (a ClientHello is a few hundred bytes to a few KB).
        var length = (int)Math.Min(records.Length, 64 * 1024);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            records.Slice(0, length).CopyTo(buffer);
            var message = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var written = 0;
                var input = buffer.AsSpan(0, length);
                while (input.Length >= 5 && input[0] == HandshakeRecord)
                {
                    var size = BinaryPrimitives.ReadUInt16BigEndian(input[3..]);
                    if (input.Length < 5 + size)
                    {
                        size = (ushort)(input.Length - 5);
                    }

                    input.Slice(5, size).CopyTo(message.AsSpan(written));
                    written += size;
                    input = input[(5 + size)..];
                }

                return Parse(message.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ResumptionOffer? Parse(ReadOnlySpan<byte> m)
    {
        // handshake header (type, 3-byte length), legacy_version, random
        if (m.Length < 4 + 2 + 32 + 1 || m[0] != ClientHelloMessage)
        {
            return null;
        }

        var body = m[4..];
        var bodyLength = (m[1] << 16) | (m[2] << 8) | m[3];
        if (body.Length < bodyLength)
        {
            return null;
        }

        body = body[..bodyLength][34..];
        var sessionIdLength = body[0];
        if (body.Length < 1 + sessionIdLength + 2)
        {
            return null;
        }

        body = body[(1 + sessionIdLength)..];
        var ciphers = BinaryPrimitives.ReadUInt16BigEndian(body);
        if (body.Length < 2 + ciphers + 1)
        {
            return null;
        }

        body = body[(2 + ciphers)..];
        var compression = body[0];
        if (body.Length < 1 + compression)
        {
            return null;
        }

        body = body[(1 + compression)..];
        bool psk = false, ticket = false;
        if (body.Length >= 2)
        {
            var extensions = body[2..];
            var extensionsLength = BinaryPrimitives.ReadUInt16BigEndian(body);
            if (extensions.Length < extensionsLength)
            {
                return null;
            }

            extensions = extensions[..extensionsLength];
            while (extensions.Length >= 4)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(extensions);
                var size = BinaryPrimitives.ReadUInt16BigEndian(extensions[2..]);
                if (extensions.Length < 4 + size)
                {
                    return null;
                }

                psk |= type == PreSharedKeyExtension;
                ticket |= type == SessionTicketExtension && size > 0;
                extensions = extensions[(4 + size)..];
            }
        }

        // A TLS 1.2 session id resumes only a TLS 1.2 session; in a TLS 1.3 handshake it is the compatibility-mode echo.
        return new ResumptionOffer(psk, ticket || sessionIdLength > 0);
    }
}
