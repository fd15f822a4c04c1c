using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Mtls.Extensions.Validation.Internal;

internal enum SignatureCheck
{
    Valid,
    Invalid,
    Unsupported,
}

/// <summary>Verifies that a certificate's signature was made by an issuer's key (RSA PKCS#1 v1.5, RSA-PSS, ECDSA).</summary>
internal static class SignatureVerifier
{
    public static SignatureCheck Verify(ParsedCertificate subject, ParsedCertificate issuer)
    {
        try
        {
            return VerifyCore(subject, issuer);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or ArgumentException or PlatformNotSupportedException)
        {
            return SignatureCheck.Invalid;
        }
    }

    /// <summary>Verifies a signature over signed data other than a certificate's (a CRL's tbsCertList) with <paramref name="issuer"/>'s key.</summary>
    public static SignatureCheck Verify(ReadOnlyMemory<byte> signed, string algorithm, ReadOnlyMemory<byte>? parameters, byte[] signature, ParsedCertificate issuer)
    {
        try
        {
            return VerifyCore(signed.Span, algorithm, parameters, signature, issuer);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException or ArgumentException or PlatformNotSupportedException)
        {
            return SignatureCheck.Invalid;
        }
    }

    private static SignatureCheck VerifyCore(ParsedCertificate subject, ParsedCertificate issuer) =>
        VerifyCore(subject.Tbs.Span, subject.SignatureAlgorithm, subject.SignatureParameters, subject.Signature, issuer);

    private static SignatureCheck VerifyCore(ReadOnlySpan<byte> tbs, string algorithm, ReadOnlyMemory<byte>? parameters, byte[] signature, ParsedCertificate issuer)
    {
        var subject = (Signature: signature, SignatureParameters: parameters);
        switch (algorithm)
        {
            case "1.2.840.113549.1.1.5" or "1.3.14.3.2.29":
                return Rsa(issuer, tbs, subject.Signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.11":
                return Rsa(issuer, tbs, subject.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.12":
                return Rsa(issuer, tbs, subject.Signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1);
            case "1.2.840.113549.1.1.13":
                return Rsa(issuer, tbs, subject.Signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
            case X509Oids.RsaPss:
                var hash = PssHash(subject.SignatureParameters);
                return hash is null ? SignatureCheck.Unsupported : Rsa(issuer, tbs, subject.Signature, hash.Value, RSASignaturePadding.Pss);
            case "1.2.840.10045.4.1":
                return Ec(issuer, tbs, subject.Signature, HashAlgorithmName.SHA1);
            case "1.2.840.10045.4.3.2":
                return Ec(issuer, tbs, subject.Signature, HashAlgorithmName.SHA256);
            case "1.2.840.10045.4.3.3":
                return Ec(issuer, tbs, subject.Signature, HashAlgorithmName.SHA384);
            case "1.2.840.10045.4.3.4":
                return Ec(issuer, tbs, subject.Signature, HashAlgorithmName.SHA512);
            default:
                return SignatureCheck.Unsupported;
        }
    }

    private static SignatureCheck Rsa(ParsedCertificate issuer, ReadOnlySpan<byte> data, byte[] signature, HashAlgorithmName hash, RSASignaturePadding padding)
    {
        if (issuer.KeyAlgorithm is not (X509Oids.Rsa or X509Oids.RsaPss))
        {
            return SignatureCheck.Invalid;
        }

        using var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(issuer.KeyBits.Span, out _);
        return rsa.VerifyData(data, signature, hash, padding) ? SignatureCheck.Valid : SignatureCheck.Invalid;
    }

    private static SignatureCheck Ec(ParsedCertificate issuer, ReadOnlySpan<byte> data, byte[] signature, HashAlgorithmName hash)
    {
        if (issuer.KeyAlgorithm != X509Oids.EcPublicKey || issuer.Key?.Curve is not (X509Oids.P256 or X509Oids.P384 or X509Oids.P521 or X509Oids.P224 or X509Oids.P192))
        {
            return issuer.KeyAlgorithm == X509Oids.EcPublicKey ? SignatureCheck.Unsupported : SignatureCheck.Invalid;
        }

        using var ec = ECDsa.Create();
        ec.ImportSubjectPublicKeyInfo(issuer.SubjectPublicKeyInfo.Span, out _);
        return ec.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence) ? SignatureCheck.Valid : SignatureCheck.Invalid;
    }

    /// <summary>The hash of RSASSA-PSS parameters, when they are the ones the platform verifies (MGF1 with the same hash, salt = hash length).</summary>
    private static HashAlgorithmName? PssHash(ReadOnlyMemory<byte>? parameters)
    {
        if (parameters is null)
        {
            return null;
        }

        var reader = new AsnReader(parameters.Value, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        var hashOid = X509Oids.Sha1;
        var mgfHash = X509Oids.Sha1;
        var salt = 20;
        if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            var wrapper = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            hashOid = wrapper.ReadSequence().ReadObjectIdentifier();
        }

        if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            var wrapper = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1));
            var mgf = wrapper.ReadSequence();
            if (mgf.ReadObjectIdentifier() != "1.2.840.113549.1.1.8")
            {
                return null;
            }

            mgfHash = mgf.ReadSequence().ReadObjectIdentifier();
        }

        if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            var wrapper = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
            if (!wrapper.TryReadInt32(out salt))
            {
                return null;
            }
        }

        (HashAlgorithmName Name, int Length)? hash = hashOid switch
        {
            X509Oids.Sha256 => (HashAlgorithmName.SHA256, 32),
            X509Oids.Sha384 => (HashAlgorithmName.SHA384, 48),
            X509Oids.Sha512 => (HashAlgorithmName.SHA512, 64),
            X509Oids.Sha1 => (HashAlgorithmName.SHA1, 20),
            _ => null,
        };

        return hash is { } h && mgfHash == hashOid && salt == h.Length ? h.Name : null;
    }
}
