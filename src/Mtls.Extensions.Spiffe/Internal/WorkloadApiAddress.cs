using System.Net;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// A Workload API endpoint address as the SPIFFE Workload Endpoint specification (section 4) defines it:
/// <c>unix:///absolute/path</c> or <c>unix:/absolute/path</c> (no authority, nothing but the path) or <c>tcp://IP:port</c> (an IP, not a
/// name; nothing but host and port).
/// </summary>
internal sealed record WorkloadApiAddress(string Value, string? SocketPath, IPEndPoint? TcpEndPoint)
{
    public const string EnvironmentVariable = "SPIFFE_ENDPOINT_SOCKET";

    /// <summary>Resolves the address: the configured value, else <c>SPIFFE_ENDPOINT_SOCKET</c>, else a start-up error naming both.</summary>
    public static WorkloadApiAddress Resolve(WorkloadApiOptions options, string configurationPath, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var key = configurationPath + ":WorkloadApi:Socket";
        if (!string.IsNullOrWhiteSpace(options.Socket))
        {
            return Parse(options.Socket, key);
        }

        var fromEnvironment = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Parse(fromEnvironment, $"the environment variable {EnvironmentVariable}");
        }

        throw new CertificateLoadException(key,
            $"the Workload API is selected but no address is known: set {key} (unix:///path/to/agent.sock or tcp://IP:port) or the environment variable {EnvironmentVariable}.",
            CertificateLoadErrorKind.NotConfigured);
    }

    public static WorkloadApiAddress Parse(string value, string source)
    {
        if (!TryParse(value, out var address, out var error))
        {
            throw new CertificateLoadException(source, $"'{value}' is not a Workload API address: {error}", CertificateLoadErrorKind.NotConfigured);
        }

        return address;
    }

    public static bool TryParse(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WorkloadApiAddress? address, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        address = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            error = "it is not an absolute URI; use unix:///absolute/path or tcp://IP:port.";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "a query, fragment or user info is not allowed.";
            return false;
        }

        switch (uri.Scheme)
        {
            case "unix":
                // unix:///path has an empty authority and unix:/path none (both accepted by the spec and go-spiffe);
                // unix://host/path names an authority, which the spec forbids.
                if (!(value.StartsWith("unix:///", StringComparison.Ordinal) || (value.StartsWith("unix:/", StringComparison.Ordinal) && !value.StartsWith("unix://", StringComparison.Ordinal)))
                    || !string.IsNullOrEmpty(uri.Host))
                {
                    error = "a unix address has no authority and an absolute path: unix:///path/to/agent.sock or unix:/path/to/agent.sock.";
                    return false;
                }

                var path = Uri.UnescapeDataString(uri.AbsolutePath);
                if (path.Length <= 1 || path.EndsWith('/'))
                {
                    error = "the unix socket path is missing.";
                    return false;
                }

                address = new WorkloadApiAddress(value, path, null);
                error = null;
                return true;
            case "tcp":
                if (uri.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6) || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip))
                {
                    error = "a tcp address names an IP address, not a host name: tcp://127.0.0.1:8000.";
                    return false;
                }

                if (uri.IsDefaultPort || uri.Port <= 0 || value.EndsWith(':'))
                {
                    error = "a tcp address needs a port: tcp://127.0.0.1:8000.";
                    return false;
                }

                if (uri.AbsolutePath != "/" || value.TrimEnd().EndsWith('/'))
                {
                    error = "a tcp address has no path: tcp://127.0.0.1:8000.";
                    return false;
                }

                address = new WorkloadApiAddress(value, null, new IPEndPoint(ip, uri.Port));
                error = null;
                return true;
            default:
                error = $"the scheme must be unix or tcp, not '{uri.Scheme}'.";
                return false;
        }
    }

    public override string ToString() => Value;
}
