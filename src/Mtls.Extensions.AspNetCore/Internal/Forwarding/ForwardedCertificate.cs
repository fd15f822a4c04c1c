namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>What a trusted proxy's header carried: no certificate, something that is not one, or DER bytes (leaf first).</summary>
internal readonly struct ForwardedCertificate
{
    private ForwardedCertificate(byte[][]? certificates, string? error)
    {
        Certificates = certificates;
        Error = error;
    }

    /// <summary>Gets the DER encodings, the leaf first and then the chain the proxy forwarded; <see langword="null"/> when absent or malformed.</summary>
    public byte[][]? Certificates { get; }

    /// <summary>Gets why the header is not a certificate (names the header and what is wrong; never its content).</summary>
    public string? Error { get; }

    public bool IsAbsent => Certificates is null && Error is null;

    public static ForwardedCertificate Absent => default;

    public static ForwardedCertificate Present(byte[][] certificates) => new(certificates, null);

    public static ForwardedCertificate Malformed(string error) => new(null, error);
}
