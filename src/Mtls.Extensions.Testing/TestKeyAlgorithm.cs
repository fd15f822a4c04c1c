namespace Mtls.Extensions.Testing;

/// <summary>Key algorithms the test PKI can generate, including deliberately weak ones.</summary>
public enum TestKeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 (the default).</summary>
    EcdsaP256,

    /// <summary>ECDSA on NIST P-384.</summary>
    EcdsaP384,

    /// <summary>ECDSA on NIST P-224: too weak, for rejection tests.</summary>
    EcdsaP224,

    /// <summary>RSA 2048.</summary>
    Rsa2048,

    /// <summary>RSA 3072.</summary>
    Rsa3072,

    /// <summary>RSA 1024: too weak, for rejection tests.</summary>
    Rsa1024,

    /// <summary>ECDSA on NIST P-521.</summary>
    EcdsaP521,

    /// <summary>RSA 4096.</summary>
    Rsa4096,
}
