using System.Formats.Asn1;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>Judges public keys from their SubjectPublicKeyInfo, without creating a key object (so RSA-PSS and EdDSA keys are judged too).</summary>
internal static class KeyJudge
{
    public static KeyInfo Describe(string algorithm, ReadOnlyMemory<byte>? parameters, ReadOnlySpan<byte> bits)
    {
        switch (algorithm)
        {
            case X509Oids.Rsa or X509Oids.RsaPss:
            {
                var name = algorithm == X509Oids.RsaPss ? "RSA-PSS" : "RSA";
                try
                {
                    var reader = new AsnReader(bits.ToArray(), AsnEncodingRules.DER);
                    var sequence = reader.ReadSequence();
                    var modulus = sequence.ReadIntegerBytes().Span;
                    while (modulus.Length > 0 && modulus[0] == 0)
                    {
                        modulus = modulus[1..];
                    }

                    var size = modulus.Length == 0 ? 0 : ((modulus.Length - 1) * 8) + (8 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]) + 24);
                    return new KeyInfo(algorithm, name, size, null);
                }
                catch (AsnContentException)
                {
                    return new KeyInfo(algorithm, name, 0, null);
                }
            }

            case X509Oids.EcPublicKey:
            {
                string? curve = null;
                if (parameters is { } p)
                {
                    try
                    {
                        var reader = new AsnReader(p, AsnEncodingRules.DER);
                        if (reader.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
                        {
                            curve = reader.ReadObjectIdentifier();
                        }
                    }
                    catch (AsnContentException)
                    {
                    }
                }

                var size = curve switch { X509Oids.P256 => 256, X509Oids.P384 => 384, X509Oids.P521 => 521, X509Oids.P192 => 192, X509Oids.P224 => 224, _ => 0 };
                return new KeyInfo(algorithm, "EC", size, curve);
            }

            case X509Oids.Dsa:
                return new KeyInfo(algorithm, "DSA", 0, null);
            case X509Oids.Ed25519:
                return new KeyInfo(algorithm, "Ed25519", 256, null);
            case X509Oids.Ed448:
                return new KeyInfo(algorithm, "Ed448", 456, null);
            default:
                return new KeyInfo(algorithm, algorithm, 0, null);
        }
    }

    /// <summary>Returns the reason and a fragment ("has …") when the key is not accepted, or <see langword="null"/>.</summary>
    public static (MtlsRejectionReason Reason, string Text)? Judge(KeyInfo key, int minimumRsaBits)
    {
        switch (key.Algorithm)
        {
            case X509Oids.Rsa or X509Oids.RsaPss:
                if (key.Bits < minimumRsaBits)
                {
                    return (MtlsRejectionReason.WeakKey, $"an {key.Description} key of {key.Bits} bits (at least {minimumRsaBits} required)");
                }

                return key.Bits % 8 != 0
                    ? (MtlsRejectionReason.WeakKey, $"an {key.Description} key of {key.Bits} bits, not a multiple of 8 (CA/B BR §6.1.5)")
                    : null;
            case X509Oids.EcPublicKey:
                return key.Curve switch
                {
                    X509Oids.P256 or X509Oids.P384 or X509Oids.P521 => null,
                    X509Oids.P192 or X509Oids.P224 => (MtlsRejectionReason.WeakKey, $"an EC key of {key.Bits} bits (P-256 or larger required)"),
                    null => (MtlsRejectionReason.UnsupportedKeyAlgorithm, "an EC key with explicit or unnamed curve parameters (only P-256, P-384 and P-521 are accepted)"),
                    _ => (MtlsRejectionReason.UnsupportedKeyAlgorithm, $"an EC key on curve {key.Curve} (only P-256, P-384 and P-521 are accepted)"),
                };
            case X509Oids.Dsa:
                return (MtlsRejectionReason.WeakKey, "a DSA key (not accepted)");
            case X509Oids.Ed25519 or X509Oids.Ed448:
                return (MtlsRejectionReason.UnsupportedKeyAlgorithm, $"an {key.Description} key, which the platform's TLS stack cannot use");
            default:
                return (MtlsRejectionReason.UnsupportedKeyAlgorithm, $"a key of unsupported algorithm {key.Algorithm}");
        }
    }
}
