namespace Mtls.Extensions.Internal;

internal static class Oids
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string AnyExtendedKeyUsage = "2.5.29.37.0";
    public const string SubjectAltName = "2.5.29.17";
    public const string BasicConstraints = "2.5.29.19";
    public const string KeyUsage = "2.5.29.15";
    public const string ExtendedKeyUsage = "2.5.29.37";

    public const string Rsa = "1.2.840.113549.1.1.1";
    public const string RsaPss = "1.2.840.113549.1.1.10";
    public const string Dsa = "1.2.840.10040.4.1";
    public const string EcPublicKey = "1.2.840.10045.2.1";

    public static bool IsWeakSignature(string? oid) => oid is
        "1.2.840.113549.1.1.2" or // md2RSA
        "1.2.840.113549.1.1.4" or // md5RSA
        "1.2.840.113549.1.1.5" or // sha1RSA
        "1.2.840.10045.4.1" or    // ecdsa-with-SHA1
        "1.2.840.10040.4.3" or    // dsa-with-sha1
        "1.3.14.3.2.29";          // sha1RSA (OIW)

    public static string DescribeSignature(string? oid) => oid switch
    {
        "1.2.840.113549.1.1.2" => "MD2 with RSA",
        "1.2.840.113549.1.1.4" => "MD5 with RSA",
        "1.2.840.113549.1.1.5" or "1.3.14.3.2.29" => "SHA-1 with RSA",
        "1.2.840.10045.4.1" => "ECDSA with SHA-1",
        "1.2.840.10040.4.3" => "DSA with SHA-1",
        _ => oid ?? "unknown",
    };
}
