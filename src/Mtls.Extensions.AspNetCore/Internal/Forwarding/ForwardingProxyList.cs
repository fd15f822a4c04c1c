using System.Net;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// <c>Mtls:Server:Forwarding:Proxies</c>, parsed once per options instance: who may forward (an identity matched by the
/// one identity matcher over the connection's verdict, a network, or both) and which headers every forwarding format
/// uses (the set removed from everyone else).
/// </summary>
internal sealed class ForwardingProxyList
{
    /// <summary>Every header a known proxy or load balancer uses to forward a client certificate (and AWS's derived fields).</summary>
    private static readonly string[] KnownHeaders =
    [
        ForwardedCertificateReader.Rfc9440Header,
        ForwardedCertificateReader.Rfc9440ChainHeader,
        ForwardedCertificateReader.EnvoyHeader,
        ForwardedCertificateReader.SslClientCertHeader,
        "X-SSL-Cert",
        "X-Client-Cert",
        "X-Client-Certificate",
        ForwardedCertificateReader.AwsAlbHeader,
        ForwardedCertificateReader.AwsAlbLeafHeader,
        "X-Amzn-Mtls-Clientcert-Subject",
        "X-Amzn-Mtls-Clientcert-Issuer",
        "X-Amzn-Mtls-Clientcert-Serial-Number",
        "X-Amzn-Mtls-Clientcert-Validity",
        ForwardedCertificateReader.AzureArrHeader,
    ];

    private ForwardingProxyList(IReadOnlyList<Entry> entries, string[] headers)
    {
        Entries = entries;
        Headers = headers;
    }

    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Gets the headers removed from requests of anyone not listed: the known ones and every configured <c>Header</c>.</summary>
    public string[] Headers { get; }

    /// <summary>Parses the entries; every problem names its configuration key. Nothing is thrown.</summary>
    public static ForwardingProxyList Build(string path, MtlsForwardingOptions options, List<string>? errors)
    {
        var entries = new List<Entry>();
        var headers = new List<string>(KnownHeaders);
        for (var i = 0; i < options.Proxies.Count; i++)
        {
            var key = $"{path}:Forwarding:Proxies:{i}";
            var proxy = options.Proxies[i];
            if (proxy is null)
            {
                errors?.Add($"{key}: the entry is empty; set Peer or Network, and Format.");
                continue;
            }

            var ok = true;
            PeerIdentityPattern? peer = null;
            IPNetwork? network = null;
            if (string.IsNullOrWhiteSpace(proxy.Peer) && string.IsNullOrWhiteSpace(proxy.Network))
            {
                errors?.Add($"{key}: set Peer (the proxy's own certificate identity, as in AllowedPeers) or Network (CIDR, e.g. 10.0.0.0/8), or both; an entry that names neither would trust everyone.");
                ok = false;
            }

            if (!string.IsNullOrWhiteSpace(proxy.Peer))
            {
                if (!PeerIdentityPattern.TryParse(proxy.Peer, out peer, out var error))
                {
                    errors?.Add($"{key}:Peer: '{PeerText.Escape(proxy.Peer)}' is not a peer identity: {error}");
                    ok = false;
                }
            }

            if (!string.IsNullOrWhiteSpace(proxy.Network))
            {
                var text = proxy.Network.Trim();
                var slash = text.IndexOf('/', StringComparison.Ordinal);
                if (IPNetwork.TryParse(text, out var parsed) && slash > 0 && IPAddress.TryParse(text.AsSpan(0, slash), out var address) && address.Equals(parsed.BaseAddress))
                {
                    network = parsed;
                }
                else
                {
                    errors?.Add($"{key}:Network: '{PeerText.Escape(proxy.Network)}' is not a CIDR network such as 10.0.0.0/8, 127.0.0.1/32 or ::1/128 (the address bits after the prefix length must be zero).");
                    ok = false;
                }
            }

            if (proxy.Format is not { } format || !Enum.IsDefined(format))
            {
                errors?.Add($"{key}:Format: required; one of {string.Join(", ", Enum.GetNames<MtlsForwardedCertificateFormat>())}.");
                continue;
            }

            var header = ForwardedCertificateReader.DefaultHeader(format);
            if (!string.IsNullOrWhiteSpace(proxy.Header))
            {
                if (!ForwardedCertificateReader.HeaderIsConfigurable(format))
                {
                    errors?.Add($"{key}:Header: the {format} format always uses its own headers ({header}); remove Header.");
                    ok = false;
                }
                else if (!IsToken(proxy.Header.Trim()))
                {
                    errors?.Add($"{key}:Header: '{PeerText.Escape(proxy.Header)}' is not an HTTP header name.");
                    ok = false;
                }
                else
                {
                    header = proxy.Header.Trim();
                }
            }

            if (ok)
            {
                entries.Add(new Entry(key, peer, network, format, header));
                if (!headers.Contains(header, StringComparer.OrdinalIgnoreCase))
                {
                    headers.Add(header);
                }
            }
        }

        return new ForwardingProxyList(entries, [.. headers]);
    }

    /// <summary>Finds the first entry that the connection matches: its verified identity (when the entry names one) and its address (when the entry names a network).</summary>
    public Entry? Match(IPAddress? remote, PeerValidationResult? connection)
    {
        if (Entries.Count == 0)
        {
            return null;
        }

        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        foreach (var entry in Entries)
        {
            if (entry.Network is { } network && (remote is null || !network.Contains(remote)))
            {
                continue;
            }

            if (entry.Peer is { } peer && (connection is not { IsValid: true } verdict || !peer.Matches(verdict.Identity)))
            {
                continue;
            }

            return entry;
        }

        return null;
    }

    /// <summary>Whether a header belongs to the format the matched proxy uses (the ones it writes and the library reads).</summary>
    public static bool IsOwnHeader(Entry entry, string header) => entry.Format switch
    {
        MtlsForwardedCertificateFormat.Rfc9440 => header.Equals(ForwardedCertificateReader.Rfc9440Header, StringComparison.OrdinalIgnoreCase) || header.Equals(ForwardedCertificateReader.Rfc9440ChainHeader, StringComparison.OrdinalIgnoreCase),
        MtlsForwardedCertificateFormat.AwsAlb => header.StartsWith(ForwardedCertificateReader.AwsAlbHeader, StringComparison.OrdinalIgnoreCase),
        _ => header.Equals(entry.Header, StringComparison.OrdinalIgnoreCase),
    };

    private static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return value.Length is > 0 and <= 128;
    }

    /// <summary>One trusted proxy.</summary>
    internal sealed record Entry(string Key, PeerIdentityPattern? Peer, IPNetwork? Network, MtlsForwardedCertificateFormat Format, string Header)
    {
        /// <summary>Describes the entry for <see cref="IMtlsPeerFeature.ForwardedBy"/> and logs.</summary>
        public string Describe(IPAddress? remote, PeerValidationResult? connection)
        {
            var who = Peer is not null && connection is { IsValid: true } verdict ? verdict.Identity.DisplayName : remote?.ToString() ?? "(unknown address)";
            return $"{PeerText.Escape(who)} ({Key}, {Format})";
        }
    }
}
