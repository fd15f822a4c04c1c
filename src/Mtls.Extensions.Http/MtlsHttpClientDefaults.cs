namespace Mtls.Extensions.Http;

/// <summary>Defaults of the mTLS HTTP client.</summary>
public static class MtlsHttpClientDefaults
{
    /// <summary>The configuration section holding one sub-section per client name: <c>Mtls:Clients</c>.</summary>
    public const string ConfigurationSection = "Mtls:Clients";

    /// <summary>The name of the default resilience pipeline added to every mTLS client.</summary>
    public const string ResiliencePipelineName = "mtls";

    /// <summary>Gets the configuration path of a client: <c>Mtls:Clients:{name}</c>.</summary>
    /// <param name="name">The client name.</param>
    /// <returns>The path.</returns>
    public static string ConfigurationPath(string name) => $"{ConfigurationSection}:{name}";

    internal static IEnumerable<string> SplitExpectedServer(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? []
            : value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
