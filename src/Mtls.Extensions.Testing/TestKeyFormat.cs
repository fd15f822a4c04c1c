namespace Mtls.Extensions.Testing;

/// <summary>PEM formats for exported private keys.</summary>
public enum TestKeyFormat
{
    /// <summary>PKCS#8 (<c>PRIVATE KEY</c>).</summary>
    Pkcs8,

    /// <summary>PKCS#1 for RSA (<c>RSA PRIVATE KEY</c>) or SEC1 for EC (<c>EC PRIVATE KEY</c>).</summary>
    Traditional,

    /// <summary>Encrypted PKCS#8 (<c>ENCRYPTED PRIVATE KEY</c>).</summary>
    EncryptedPkcs8,
}
