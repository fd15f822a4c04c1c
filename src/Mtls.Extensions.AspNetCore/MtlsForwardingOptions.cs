namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// Client certificates forwarded by TLS-terminating proxies (<c>Mtls:Server:Forwarding</c>). A forwarded certificate
/// counts only from a listed proxy and is judged exactly like a direct one; from anyone else every known forwarding
/// header is removed before the app sees it.
/// </summary>
public sealed class MtlsForwardingOptions
{
    /// <summary>Gets or sets the proxies that may forward client certificates.</summary>
    /// <value>The default is empty: nobody; forwarding headers are removed from every request.</value>
    public IList<MtlsForwardingProxy> Proxies { get; set; } = [];
}
