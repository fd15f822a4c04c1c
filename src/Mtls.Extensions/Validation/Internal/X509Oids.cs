namespace Mtls.Extensions.Validation.Internal;

/// <summary>The object identifiers the path validator reads.</summary>
internal static class X509Oids
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string AnyExtendedKeyUsage = "2.5.29.37.0";

    public const string SubjectKeyIdentifier = "2.5.29.14";
    public const string KeyUsage = "2.5.29.15";
    public const string SubjectAltName = "2.5.29.17";
    public const string BasicConstraints = "2.5.29.19";
    public const string NameConstraints = "2.5.29.30";
    public const string CertificatePolicies = "2.5.29.32";
    public const string PolicyMappings = "2.5.29.33";
    public const string AuthorityKeyIdentifier = "2.5.29.35";
    public const string PolicyConstraints = "2.5.29.36";
    public const string ExtendedKeyUsage = "2.5.29.37";
    public const string InhibitAnyPolicy = "2.5.29.54";
    public const string AuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
    public const string CommonName = "2.5.4.3";

    public const string Rsa = "1.2.840.113549.1.1.1";
    public const string RsaPss = "1.2.840.113549.1.1.10";
    public const string Dsa = "1.2.840.10040.4.1";
    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string Ed25519 = "1.3.101.112";
    public const string Ed448 = "1.3.101.113";

    public const string P256 = "1.2.840.10045.3.1.7";
    public const string P384 = "1.3.132.0.34";
    public const string P521 = "1.3.132.0.35";
    public const string P192 = "1.2.840.10045.3.1.1";
    public const string P224 = "1.3.132.0.33";

    public const string Sha1 = "1.3.14.3.2.26";
    public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    public const string Sha384 = "2.16.840.1.101.3.4.2.2";
    public const string Sha512 = "2.16.840.1.101.3.4.2.3";

    public static string Describe(string oid) => oid switch
    {
        SubjectKeyIdentifier => "subjectKeyIdentifier",
        KeyUsage => "keyUsage",
        SubjectAltName => "subjectAltName",
        BasicConstraints => "basicConstraints",
        NameConstraints => "nameConstraints",
        CertificatePolicies => "certificatePolicies",
        PolicyMappings => "policyMappings",
        AuthorityKeyIdentifier => "authorityKeyIdentifier",
        PolicyConstraints => "policyConstraints",
        ExtendedKeyUsage => "extendedKeyUsage",
        InhibitAnyPolicy => "inhibitAnyPolicy",
        AuthorityInfoAccess => "authorityInfoAccess",
        _ => oid,
    };
}
