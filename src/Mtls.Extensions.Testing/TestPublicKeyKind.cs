namespace Mtls.Extensions.Testing;

/// <summary>Public keys the test PKI can publish without a usable private key (see <see cref="TestPki.CreatePublicKeyInfo"/>).</summary>
public enum TestPublicKeyKind
{
    /// <summary>A 2048-bit RSA key with the id-RSASSA-PSS algorithm identifier.</summary>
    RsaPss2048,

    /// <summary>An RSA key whose modulus has 2047 bits (not a multiple of 8).</summary>
    Rsa2047,

    /// <summary>An Ed25519 key.</summary>
    Ed25519,

    /// <summary>An Ed448 key.</summary>
    Ed448,

    /// <summary>A DSA key.</summary>
    Dsa2048,

    /// <summary>An ECDSA key on NIST P-192.</summary>
    EcdsaP192,

    /// <summary>An ECDSA key on brainpoolP256r1 (a curve outside the accepted set).</summary>
    EcdsaBrainpoolP256,
}
