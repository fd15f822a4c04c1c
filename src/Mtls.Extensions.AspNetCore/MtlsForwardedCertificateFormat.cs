namespace Mtls.Extensions.AspNetCore;

/// <summary>How a TLS-terminating proxy forwards the client certificate it received.</summary>
public enum MtlsForwardedCertificateFormat
{
    /// <summary>RFC 9440: <c>Client-Cert</c> and <c>Client-Cert-Chain</c>, Structured Field byte sequences of DER (<c>:base64:</c>).</summary>
    Rfc9440,

    /// <summary>Envoy's <c>X-Forwarded-Client-Cert</c>: only its <c>Cert=</c> and <c>Chain=</c> (URL-encoded PEM) of the last element.</summary>
    Envoy,

    /// <summary>nginx's <c>$ssl_client_escaped_cert</c> (URL-encoded PEM) in the header named by <c>Header</c> (default <c>X-SSL-Client-Cert</c>).</summary>
    Nginx,

    /// <summary>HAProxy's <c>%[ssl_c_der,base64]</c> (base64 DER) in the header named by <c>Header</c> (default <c>X-SSL-Client-Cert</c>).</summary>
    Haproxy,

    /// <summary>AWS Application Load Balancer mTLS: <c>X-Amzn-Mtls-Clientcert</c> (passthrough: URL-encoded PEM chain, leaf first) or <c>X-Amzn-Mtls-Clientcert-Leaf</c> (verify mode).</summary>
    AwsAlb,

    /// <summary>Azure App Service / ARR: <c>X-ARR-ClientCert</c> (base64 DER).</summary>
    AzureArr,
}
