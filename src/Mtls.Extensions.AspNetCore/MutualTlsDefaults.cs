namespace Mtls.Extensions.AspNetCore;

/// <summary>Default values of the mutual TLS server.</summary>
public static class MutualTlsDefaults
{
    /// <summary>The authentication scheme name: <c>MutualTls</c>.</summary>
    public const string AuthenticationScheme = "MutualTls";

    /// <summary>The configuration section bound by <c>AddMutualTls()</c>: <c>Mtls:Server</c>.</summary>
    public const string ConfigurationSection = "Mtls:Server";
}
