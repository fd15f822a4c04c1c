using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CsCheck;

namespace Mtls.Extensions.Tests.Validation;

/// <summary>The key of one certificate in a generated chain.</summary>
internal enum KeyKind
{
    EcP256,
    EcP384,
    Rsa2048,
    Rsa1024,
}

/// <summary>When a generated certificate is valid, relative to the time it is judged.</summary>
internal enum Window
{
    Current,
    Expired,
    NotYetValid,
}

/// <summary>The extended key usage a generated leaf carries.</summary>
internal enum EkuKind
{
    None,
    Client,
    Server,
    ClientAndServer,
    AnyOnly,
    ClientAndAny,
}

/// <summary>The key usage a generated certificate carries.</summary>
internal enum KeyUsageKind
{
    None,
    DigitalSignature,
    KeyEncipherment,
    CertSign,
    CertSignAndDigitalSignature,
}

/// <summary>The name constraints a generated CA carries.</summary>
internal enum ConstraintKind
{
    None,
    PermitExampleOrgDns,
    ExcludeEvilDns,
    PermitTenNetIp,
    PermitExampleOrgEmail,
}

/// <summary>The SANs a generated leaf carries.</summary>
internal enum SanKind
{
    None,
    ExampleOrgDns,
    EvilDns,
    TenNetIp,
    OtherIp,
    ExampleOrgEmail,
    DnsAndIp,
}

/// <summary>One certificate of a generated chain.</summary>
internal sealed record CertSpec(
    KeyKind Key,
    Window Window,
    bool? IsCa,
    bool BasicConstraintsCritical,
    int? PathLength,
    KeyUsageKind KeyUsage,
    EkuKind Eku,
    bool EkuCritical,
    ConstraintKind Constraints,
    SanKind Sans,
    bool KeyIdentifiers);

/// <summary>A generated chain: root, then intermediates from the root down, then the leaf, and the role it is judged for.</summary>
internal sealed record ChainSpec(CertSpec Root, IReadOnlyList<CertSpec> Intermediates, CertSpec Leaf, PeerRole Role)
{
    public IEnumerable<CertSpec> All => [Root, .. Intermediates, Leaf];

    public override string ToString() =>
        $"{Role}: root {Root}; " + string.Join("; ", Intermediates.Select((c, i) => $"CA{i + 1} {c}")) + $"; leaf {Leaf}";
}

/// <summary>
/// Generates random chains (CsCheck generators) and builds them with <see cref="CertificateRequest"/>, so that every
/// extension is exactly what the spec says: nothing is added by a helper. Keys come from a small pool built once,
/// one slot per position in the chain, so that no two certificates of one chain share a key.
/// </summary>
internal static class RandomChain
{
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string AnyEku = "2.5.29.37.0";

    private const int Positions = 4;
    private static readonly Lazy<AsymmetricAlgorithm[,]> Keys = new(CreateKeys);

    private static readonly Gen<Window> Windows = Gen.Frequency((30, Gen.Const(Window.Current)), (1, Gen.Const(Window.Expired)), (1, Gen.Const(Window.NotYetValid)));
    private static readonly Gen<KeyKind> KeyKinds = Gen.Frequency((8, Gen.Const(KeyKind.EcP256)), (4, Gen.Const(KeyKind.EcP384)), (4, Gen.Const(KeyKind.Rsa2048)), (1, Gen.Const(KeyKind.Rsa1024)));

    /// <summary>Gets a CA certificate generator: mostly well-formed, sometimes not.</summary>
    public static Gen<CertSpec> Ca { get; } =
        from key in KeyKinds
        from window in Windows
        from isCa in Gen.Frequency((30, Gen.Const<bool?>(true)), (1, Gen.Const<bool?>(false)), (1, Gen.Const(default(bool?))))
        from critical in Gen.Frequency((20, Gen.Const(true)), (1, Gen.Const(false)))
        from pathLength in Gen.Frequency((4, Gen.Const(default(int?))), (1, Gen.Const<int?>(0)), (1, Gen.Const<int?>(1)))
        from keyUsage in Gen.Frequency((24, Gen.Const(KeyUsageKind.CertSign)), (4, Gen.Const(KeyUsageKind.CertSignAndDigitalSignature)), (1, Gen.Const(KeyUsageKind.DigitalSignature)), (1, Gen.Const(KeyUsageKind.None)))
        from eku in Gen.Frequency((24, Gen.Const(EkuKind.None)), (1, Gen.Const(EkuKind.Client)), (1, Gen.Const(EkuKind.Server)), (1, Gen.Const(EkuKind.ClientAndServer)))
        from constraints in Gen.Frequency((16, Gen.Const(ConstraintKind.None)), (1, Gen.Const(ConstraintKind.PermitExampleOrgDns)), (1, Gen.Const(ConstraintKind.ExcludeEvilDns)), (1, Gen.Const(ConstraintKind.PermitTenNetIp)), (1, Gen.Const(ConstraintKind.PermitExampleOrgEmail)))
        from keyIds in Gen.Frequency((30, Gen.Const(true)), (1, Gen.Const(false)))
        select new CertSpec(key, window, isCa, critical, isCa == true ? pathLength : null, keyUsage, eku, false, constraints, SanKind.None, keyIds);

    /// <summary>Gets a leaf generator.</summary>
    public static Gen<CertSpec> Leaf { get; } =
        from key in KeyKinds
        from window in Windows
        from isCa in Gen.Frequency((10, Gen.Const(default(bool?))), (10, Gen.Const<bool?>(false)), (1, Gen.Const<bool?>(true)))
        from critical in Gen.Bool
        from keyUsage in Gen.Frequency((16, Gen.Const(KeyUsageKind.DigitalSignature)), (1, Gen.Const(KeyUsageKind.KeyEncipherment)), (1, Gen.Const(KeyUsageKind.CertSign)), (3, Gen.Const(KeyUsageKind.None)))
        from eku in Gen.Frequency((4, Gen.Const(EkuKind.Client)), (4, Gen.Const(EkuKind.Server)), (12, Gen.Const(EkuKind.ClientAndServer)), (1, Gen.Const(EkuKind.AnyOnly)), (1, Gen.Const(EkuKind.ClientAndAny)), (1, Gen.Const(EkuKind.None)))
        from ekuCritical in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
        from sans in Gen.Frequency((10, Gen.Const(SanKind.ExampleOrgDns)), (1, Gen.Const(SanKind.EvilDns)), (1, Gen.Const(SanKind.TenNetIp)), (1, Gen.Const(SanKind.OtherIp)), (1, Gen.Const(SanKind.ExampleOrgEmail)), (1, Gen.Const(SanKind.DnsAndIp)), (1, Gen.Const(SanKind.None)))
        from keyIds in Gen.Frequency((30, Gen.Const(true)), (1, Gen.Const(false)))
        select new CertSpec(key, window, isCa, critical, null, keyUsage, eku, ekuCritical, ConstraintKind.None, sans, keyIds);

    /// <summary>Gets a chain generator: a root, zero to two intermediates and a leaf, judged as a client or a server.</summary>
    public static Gen<ChainSpec> Chain { get; } =
        from root in Ca
        from depth in Gen.Int[0, 2]
        from intermediates in Ca.List[depth]
        from leaf in Leaf
        from role in Gen.Bool
        select new ChainSpec(root with { IsCa = true, Window = Window.Current }, intermediates, leaf, role ? PeerRole.Client : PeerRole.Server);

    /// <summary>Generates <paramref name="count"/> chain specs from a fixed seed (the same specs on every run).</summary>
    public static IReadOnlyList<ChainSpec> Sample(ulong seed, int count)
    {
        var pcg = new PCG(1, seed);
        var specs = new List<ChainSpec>(count);
        for (var i = 0; i < count; i++)
        {
            specs.Add(Chain.Generate(pcg, null, out _));
        }

        return specs;
    }

    /// <summary>Builds the certificates of a spec: [root, intermediates..., leaf], public parts only (the caller disposes them).</summary>
    public static X509Certificate2[] Build(ChainSpec spec, DateTimeOffset now)
    {
        var specs = spec.All.ToArray();
        var result = new X509Certificate2[specs.Length];
        X500DistinguishedName? issuerName = null;
        AsymmetricAlgorithm? issuerKey = null;
        byte[]? issuerSki = null;
        var tag = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        for (var i = 0; i < specs.Length; i++)
        {
            var c = specs[i];
            var key = Keys.Value[i, (int)c.Key];
            var name = new X500DistinguishedName(i == 0 ? $"CN=Property Root {tag}" : i == specs.Length - 1 ? $"CN=orders {tag}" : $"CN=Property CA {i} {tag}");
            var request = key is RSA rsa
                ? new CertificateRequest(name, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : new CertificateRequest(name, (ECDsa)key, c.Key == KeyKind.EcP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256);
            AddExtensions(request, c, issuerSki, out var ski);

            var (notBefore, notAfter) = c.Window switch
            {
                Window.Expired => (now.AddDays(-30), now.AddDays(-1)),
                Window.NotYetValid => (now.AddDays(1), now.AddDays(30)),
                _ => (now.AddDays(-1), now.AddDays(30)),
            };
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
            var generator = (issuerKey ?? key) switch
            {
                RSA signer => X509SignatureGenerator.CreateForRSA(signer, RSASignaturePadding.Pkcs1),
                ECDsa signer => X509SignatureGenerator.CreateForECDsa(signer),
                _ => throw new InvalidOperationException("unknown key"),
            };
            var hash = (issuerKey ?? key) is ECDsa { KeySize: 384 } ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
            using var unsigned = CreateWith(request, issuerName ?? name, generator, notBefore, notAfter, serial, hash);
            result[i] = X509CertificateLoader.LoadCertificate(unsigned.RawData);
            issuerName = name;
            issuerKey = key;
            issuerSki = ski;
        }

        return result;
    }

    private static X509Certificate2 CreateWith(CertificateRequest request, X500DistinguishedName issuer, X509SignatureGenerator generator, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[] serial, HashAlgorithmName hash)
    {
        // The request's hash is the subject key's; the signature's hash follows the issuer's key (SHA-384 for P-384).
        var signing = new CertificateRequest(request.SubjectName, request.PublicKey, hash);
        foreach (var extension in request.CertificateExtensions)
        {
            signing.CertificateExtensions.Add(extension);
        }

        return signing.Create(issuer, generator, notBefore, notAfter, serial);
    }

    private static void AddExtensions(CertificateRequest request, CertSpec c, byte[]? issuerSki, out byte[] ski)
    {
        var skiExtension = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        ski = Convert.FromHexString(skiExtension.SubjectKeyIdentifier!);
        if (c.IsCa is { } isCa)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, c.PathLength is not null, c.PathLength ?? 0, c.BasicConstraintsCritical));
        }

        var usage = c.KeyUsage switch
        {
            KeyUsageKind.DigitalSignature => X509KeyUsageFlags.DigitalSignature,
            KeyUsageKind.KeyEncipherment => X509KeyUsageFlags.KeyEncipherment,
            KeyUsageKind.CertSign => X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign,
            KeyUsageKind.CertSignAndDigitalSignature => X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature,
            _ => X509KeyUsageFlags.None,
        };
        if (usage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        }

        string[] ekus = c.Eku switch
        {
            EkuKind.Client => [ClientAuth],
            EkuKind.Server => [ServerAuth],
            EkuKind.ClientAndServer => [ClientAuth, ServerAuth],
            EkuKind.AnyOnly => [AnyEku],
            EkuKind.ClientAndAny => [ClientAuth, AnyEku],
            _ => [],
        };
        if (ekus.Length > 0)
        {
            var oids = new OidCollection();
            foreach (var eku in ekus)
            {
                oids.Add(new Oid(eku));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, c.EkuCritical));
        }

        if (c.KeyIdentifiers)
        {
            request.CertificateExtensions.Add(skiExtension);
            if (issuerSki is not null)
            {
                request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerSki));
            }
        }

        if (c.Constraints != ConstraintKind.None)
        {
            request.CertificateExtensions.Add(new X509Extension("2.5.29.30", NameConstraints(c.Constraints), true));
        }

        var sans = new SubjectAlternativeNameBuilder();
        switch (c.Sans)
        {
            case SanKind.ExampleOrgDns:
                sans.AddDnsName("orders.example.org");
                break;
            case SanKind.EvilDns:
                sans.AddDnsName("orders.evil.test");
                break;
            case SanKind.TenNetIp:
                sans.AddIpAddress(IPAddress.Parse("10.1.2.3"));
                break;
            case SanKind.OtherIp:
                sans.AddIpAddress(IPAddress.Parse("192.168.7.7"));
                break;
            case SanKind.ExampleOrgEmail:
                sans.AddEmailAddress("orders@example.org");
                break;
            case SanKind.DnsAndIp:
                sans.AddDnsName("orders.example.org");
                sans.AddIpAddress(IPAddress.Parse("10.1.2.3"));
                break;
            default:
                return;
        }

        request.CertificateExtensions.Add(sans.Build(false));
    }

    private static byte[] NameConstraints(ConstraintKind kind)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            var subtrees = new Asn1Tag(TagClass.ContextSpecific, kind == ConstraintKind.ExcludeEvilDns ? 1 : 0, isConstructed: true);
            using (writer.PushSequence(subtrees))
            using (writer.PushSequence())
            {
                switch (kind)
                {
                    case ConstraintKind.PermitExampleOrgDns:
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, "example.org", new Asn1Tag(TagClass.ContextSpecific, 2));
                        break;
                    case ConstraintKind.ExcludeEvilDns:
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, "evil.test", new Asn1Tag(TagClass.ContextSpecific, 2));
                        break;
                    case ConstraintKind.PermitTenNetIp:
                        writer.WriteOctetString([10, 0, 0, 0, 255, 0, 0, 0], new Asn1Tag(TagClass.ContextSpecific, 7));
                        break;
                    default:
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, "example.org", new Asn1Tag(TagClass.ContextSpecific, 1));
                        break;
                }
            }
        }

        return writer.Encode();
    }

    private static AsymmetricAlgorithm[,] CreateKeys()
    {
        var keys = new AsymmetricAlgorithm[Positions, 4];
        for (var p = 0; p < Positions; p++)
        {
            keys[p, (int)KeyKind.EcP256] = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            keys[p, (int)KeyKind.EcP384] = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            keys[p, (int)KeyKind.Rsa2048] = RSA.Create(2048);
            keys[p, (int)KeyKind.Rsa1024] = RSA.Create(1024);
        }

        return keys;
    }
}
