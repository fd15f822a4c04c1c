using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Spiffe.Internal.WorkloadApi;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>One SVID of a Workload API message, with its key, ready for the handshake.</summary>
internal sealed record X509Svid(SpiffeId Id, string Hint, CertificateMaterial Material);

/// <summary>
/// The whole state one <c>X509SVIDResponse</c> carries: the SVIDs and the CA certificates of every trust
/// domain (the SVIDs' own and the federated ones). Each message replaces the previous state entirely; a
/// trust domain absent from a message is gone.
/// </summary>
internal sealed class X509Context
{
    private X509Context(IReadOnlyList<X509Svid> svids, IReadOnlyDictionary<string, X509Certificate2[]> bundles)
    {
        Svids = svids;
        Bundles = bundles;
    }

    public IReadOnlyList<X509Svid> Svids { get; }

    /// <summary>Gets the CA certificates per trust domain name (<c>example.org</c>).</summary>
    public IReadOnlyDictionary<string, X509Certificate2[]> Bundles { get; }

    /// <summary>Picks the SVID with the hint (the first with it, as the spec says), or the first SVID.</summary>
    public X509Svid? Select(string? hint) =>
        string.IsNullOrEmpty(hint) ? Svids[0] : Svids.FirstOrDefault(s => string.Equals(s.Hint, hint, StringComparison.Ordinal));

    public string Describe() =>
        $"{Svids.Count} SVID(s) ({string.Join(", ", Svids.Select(s => s.Hint.Length == 0 ? s.Id.ToString() : $"{s.Id} [hint {s.Hint}]"))}); bundles for {string.Join(", ", Bundles.Keys.Order(StringComparer.Ordinal))}";

    /// <summary>
    /// Reads a message; a message missing a mandatory field (no SVID; an SVID without ID, chain, key or
    /// bundle) or carrying unreadable material is refused as a whole with the reason.
    /// </summary>
    public static bool TryCreate(X509SVIDResponse response, string source, TimeProvider time, out X509Context? context, out string? error)
    {
        context = null;
        if (response.Svids.Count == 0)
        {
            error = "the message holds no SVID (the svids field is mandatory).";
            return false;
        }

        var svids = new List<X509Svid>(response.Svids.Count);
        var bundles = new Dictionary<string, X509Certificate2[]>(StringComparer.Ordinal);
        for (var i = 0; i < response.Svids.Count; i++)
        {
            var svid = response.Svids[i];
            var missing = new List<string>();
            if (string.IsNullOrEmpty(svid.SpiffeId))
            {
                missing.Add("spiffe_id");
            }

            if (svid.X509Svid.IsEmpty)
            {
                missing.Add("x509_svid");
            }

            if (svid.X509SvidKey.IsEmpty)
            {
                missing.Add("x509_svid_key");
            }

            if (svid.Bundle.IsEmpty)
            {
                missing.Add("bundle");
            }

            if (missing.Count > 0)
            {
                error = $"SVID #{i} lacks the mandatory field(s) {string.Join(", ", missing)}.";
                return false;
            }

            if (!SpiffeId.TryParse(svid.SpiffeId, out var id, out var idError))
            {
                error = $"SVID #{i} has an invalid spiffe_id: {idError}";
                return false;
            }

            try
            {
                var chain = ReadCertificates(svid.X509Svid.Memory);
                var leafId = PeerIdentity.FromCertificate(chain[0]).SpiffeId;
                if (leafId != id)
                {
                    error = $"SVID #{i}: the certificate's SPIFFE ID ({leafId?.ToString() ?? "none"}) is not the message's spiffe_id ({id}).";
                    return false;
                }

                var material = ToMaterial(chain, svid.X509SvidKey.Memory, $"{source} (SVID {id})", time);
                try
                {
                    // go-spiffe discards a message whose SVID breaks the X509-SVID rules and keeps the last good one.
                    MtlsSourceFactory.EnsureX509Svid(material, $"{source} (SVID #{i})");
                }
                catch (CertificateLoadException ex)
                {
                    material.Release();
                    error = $"SVID #{i} ({id}) is not a valid X509-SVID: {ex.Message}";
                    return false;
                }

                var bundle = ReadCertificates(svid.Bundle.Memory);
                if (!bundles.ContainsKey(id.TrustDomain))
                {
                    bundles[id.TrustDomain] = bundle;
                }

                svids.Add(new X509Svid(id, svid.Hint ?? string.Empty, material));
            }
            catch (Exception ex) when (ex is CryptographicException or AsnContentException or CertificateLoadException or ArgumentException)
            {
                error = $"SVID #{i} ({id}) cannot be read: {ex.Message}";
                return false;
            }
        }

        foreach (var (key, value) in response.FederatedBundles)
        {
            var trustDomain = TrustDomainOf(key);
            if (trustDomain is null || value.IsEmpty)
            {
                error = $"the federated bundle '{PeerText.Escape(key)}' is not keyed by a trust domain or is empty.";
                return false;
            }

            try
            {
                // The SVIDs' own bundles win over a federated entry for the same trust domain.
                bundles.TryAdd(trustDomain, ReadCertificates(value.Memory));
            }
            catch (Exception ex) when (ex is CryptographicException or AsnContentException)
            {
                error = $"the federated bundle of {trustDomain} cannot be read: {ex.Message}";
                return false;
            }
        }

        context = new X509Context(svids, bundles);
        error = null;
        return true;
    }

    /// <summary>Reads concatenated DER certificates (the Workload API's encoding of chains and bundles).</summary>
    internal static X509Certificate2[] ReadCertificates(ReadOnlyMemory<byte> der)
    {
        var result = new List<X509Certificate2>();
        var remaining = der;
        while (!remaining.IsEmpty)
        {
            var reader = new AsnReader(remaining, AsnEncodingRules.DER);
            var one = reader.ReadEncodedValue();
            result.Add(X509CertificateLoader.LoadCertificate(one.Span));
            remaining = remaining[one.Length..];
        }

        if (result.Count == 0)
        {
            throw new CryptographicException("no certificate.");
        }

        return [.. result];
    }

    private static CertificateMaterial ToMaterial(X509Certificate2[] chain, ReadOnlyMemory<byte> pkcs8, string source, TimeProvider time)
    {
        // Through the core loader: it pairs the key with the leaf, checks the chain order and the validity period.
        var pem = new StringBuilder();
        foreach (var certificate in chain)
        {
            pem.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        var keyPem = new string(PemEncoding.Write("PRIVATE KEY", pkcs8.Span));
        return CertificateMaterial.Load(new CertificateSourceOptions { Pem = pem.ToString(), KeyPem = keyPem }, source, time);
    }

    private static string? TrustDomainOf(string key)
    {
        if (SpiffeId.TryParse(key, out var id) && id.Path.Length == 0)
        {
            return id.TrustDomain;
        }

        // Some servers key federated bundles by the bare trust domain name.
        return SpiffeId.TryParse(SpiffeId.SchemePrefix + key, out id) && id.Path.Length == 0 ? id.TrustDomain : null;
    }
}
