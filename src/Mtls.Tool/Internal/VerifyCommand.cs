using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Mtls.Extensions;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Tool.Internal;

/// <summary>
/// <c>mtls verify</c>: the library's own <see cref="PeerCertificateValidator"/> with the options a service maps from its
/// configuration (<see cref="HandshakePolicy.BuildPeerOptions(PeerPolicySettings)"/>, the function both sides use), so the
/// verdict is the service's verdict.
/// </summary>
internal static class VerifyCommand
{
    // The keys each side's section has; a reason's "Relaxed by" keys are reported only where they exist (invariant 18).
    // The Validation section's keys are the ones the library's rejection sentences name (Mtls:Server:Validation:AllowMissingKeyIdentifiers).
    private static readonly string[] ValidationKeys =
    [
        "Validation:Profile", "Validation:AllowMissingKeyIdentifiers", "Validation:AllowCommonNameNotInSubjectAltNames", "Validation:MinimumRsaKeySize",
        "Validation:MaxCandidatePaths", "Validation:MaxSignatureVerifications", "Validation:MaxPeerIntermediates",
    ];

    private static readonly HashSet<string> ServerKeys = ["AllowMissingExtendedKeyUsage", "MaxChainDepth", "AllowedPeers", "RequireSpiffeId", "ClientCertificateMode", .. ValidationKeys];
    private static readonly HashSet<string> ClientKeys = ["AllowMissingExtendedKeyUsage", "MaxChainDepth", "ExpectedServer", .. ValidationKeys];

    public sealed record Request(
        string Leaf,
        string? Chain,
        string? Ca,
        PeerRole Role,
        IReadOnlyList<string> Allowed,
        string? ExpectedServer,
        string? Host,
        string? At,
        string? Config,
        string? Section,
        string? Password,
        string? Profile = null);

    public static int Run(Request request, CommandOutput output)
    {
        var time = ParseAt(request.At);
        var chain = CertificateFiles.Load(request.Leaf, "LEAF", request.Password);
        var leaf = chain[0];
        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(chain.Skip(1).ToArray());
        if (request.Chain is not null)
        {
            intermediates.AddRange(CertificateFiles.Load(request.Chain, "--chain").ToArray());
        }

        var section = request.Section ?? (request.Role == PeerRole.Client ? "Mtls:Server" : null);
        var settings = request.Config is null ? null : ReadSection(request.Config, section ?? throw new UsageException(
            "--section: required with --config and --role server (the client's section, for example Mtls:Clients:inventory)."));
        var sectionName = section ?? (request.Role == PeerRole.Client ? "Mtls:Server" : "Mtls:Clients:{name}");

        var trust = LoadTrust(request, settings, sectionName);
        var allowed = new List<(string Key, string Value)>();
        var expected = new List<(string Key, string Value)>();
        if (settings is not null)
        {
            foreach (var child in settings.GetSection("AllowedPeers").GetChildren())
            {
                allowed.Add((child.Path, child.Value ?? string.Empty));
            }

            expected.AddRange(Split(settings["ExpectedServer"]).Select(e => ($"{sectionName}:ExpectedServer", e)));
        }

        allowed.AddRange(request.Allowed.Select(a => ("--allowed", a)));
        expected.AddRange(Split(request.ExpectedServer).Select(e => ("--expected-server", e)));
        if (request.Role == PeerRole.Client && expected.Count > 0)
        {
            throw new UsageException("--expected-server: applies to --role server (a client judging a server); for a client certificate use --allowed.");
        }

        if (request.Role == PeerRole.Server && allowed.Count > 0)
        {
            throw new UsageException("--allowed: applies to --role client (a server judging a client); for a server certificate use --expected-server.");
        }

        var policy = new PeerPolicySettings(
            AllowMissingExtendedKeyUsage: ReadBool(settings, "AllowMissingExtendedKeyUsage", sectionName) ?? false,
            MaxChainDepth: ReadInt(settings, "MaxChainDepth", sectionName) ?? 4,
            RequireSpiffeId: request.Role == PeerRole.Client && (ReadBool(settings, "RequireSpiffeId", sectionName) ?? false),
            AllowedPeers: request.Role == PeerRole.Client ? allowed : expected)
        {
            Validation = ReadValidation(settings, sectionName, request.Profile),
            ConfigurationPath = sectionName,
        };
        PeerValidationOptions options;
        try
        {
            options = HandshakePolicy.BuildPeerOptions(policy);
        }
        catch (InvalidOperationException ex)
        {
            throw new UsageException(ex.Message, ex);
        }

        // As the client does: with no expected identity, the server must carry the host name it was reached by.
        var hostName = request.Role == PeerRole.Server && options.AllowedPeers.Count == 0 ? request.Host : null;
        var validator = new PeerCertificateValidator(time);
        var result = validator.Validate(leaf, intermediates, trust, request.Role, options, hostName);
        return Write(result, request.Role, sectionName, output);
    }

    private static int Write(PeerValidationResult result, PeerRole role, string sectionName, CommandOutput output)
    {
        var json = new JsonObject
        {
            ["command"] = "verify",
            ["role"] = role.ToString().ToLowerInvariant(),
            ["verdict"] = result.IsValid ? "accepted" : "rejected",
            ["reason"] = result.Reason.ToString(),
            ["message"] = result.Message,
        };
        var text = new StringBuilder();
        if (result.IsValid)
        {
            json["identity"] = Describe(result.Identity!);
            text.Append(CultureInfo.InvariantCulture, $"accepted: {result.Message}\n");
            return output.Write(ExitCodes.Ok, json, text.ToString());
        }

        var table = ReasonTable.Load();
        var keys = table.Reasons.TryGetValue(result.Reason.ToString(), out var row)
            ? row.RelaxedBy.Where((role == PeerRole.Client ? ServerKeys : ClientKeys).Contains).Select(k => $"{sectionName}:{k}").ToList()
            : [];
        json["relaxedBy"] = new JsonArray([.. keys.Select(k => (JsonNode)JsonValue.Create(k))]);
        if (row is not null)
        {
            json["meaning"] = row.Meaning;
        }

        text.Append(CultureInfo.InvariantCulture, $"rejected: {result.Reason}\n");
        text.Append(CultureInfo.InvariantCulture, $"  {result.Message}\n");
        if (row is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  meaning:    {row.Meaning}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  relaxed by: {(keys.Count == 0 ? "no setting; fix the certificate or the trust" : string.Join(", ", keys))}\n");
        text.Append(CultureInfo.InvariantCulture, $"  more:       mtls explain {result.Reason}\n");
        return output.Write(ExitCodes.Failed, json, text.ToString());
    }

    private static JsonObject Describe(PeerIdentity identity) => new()
    {
        ["subject"] = identity.Subject,
        ["spiffeId"] = identity.SpiffeId?.ToString(),
        ["dnsNames"] = new JsonArray([.. identity.DnsNames.Select(d => (JsonNode)JsonValue.Create(d))]),
        ["sha256"] = identity.ThumbprintSha256,
        ["notAfter"] = identity.NotAfter.ToString("O", CultureInfo.InvariantCulture),
    };

    private static TrustBundle LoadTrust(Request request, IConfigurationSection? settings, string sectionName)
    {
        try
        {
            if (request.Ca is not null)
            {
                if (!File.Exists(request.Ca))
                {
                    throw new UsageException($"--ca '{request.Ca}': no such file.");
                }

                return TrustBundle.LoadFile(request.Ca, "--ca");
            }

            if (settings is null)
            {
                throw new UsageException("--ca: required (the pinned CA bundle), unless --config names a section with TrustedCa.");
            }

            var trusted = new TrustedCaOptions();
            settings.GetSection("TrustedCa").Bind(trusted);
            if (!trusted.IsConfigured)
            {
                throw new UsageException($"{sectionName}:TrustedCa: not configured in --config; give --ca.");
            }

            // Paths in appsettings.json are relative to the service's content root: the file's folder.
            var root = Path.GetDirectoryName(Path.GetFullPath(request.Config!))!;
            if (trusted.Path is { } path && !Path.IsPathRooted(path))
            {
                trusted.Path = Path.Combine(root, path);
            }

            if (trusted.BundlesDirectory is { } directory && !Path.IsPathRooted(directory))
            {
                trusted.BundlesDirectory = Path.Combine(root, directory);
            }

            return TrustBundle.Load(trusted, $"{sectionName}:TrustedCa");
        }
        catch (CertificateLoadException ex)
        {
            throw new UsageException(ex.Message, ex);
        }
    }

    private static IConfigurationSection ReadSection(string file, string section)
    {
        if (!File.Exists(file))
        {
            throw new UsageException($"--config '{file}': no such file.");
        }

        IConfigurationRoot configuration;
        try
        {
            // As the service reads it: the file, then environment variables (Mtls__Server__AllowedPeers__0=...) over it.
            configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false)
                .AddEnvironmentVariables()
                .Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            throw new UsageException($"--config '{file}': not a JSON configuration file: {ex.Message}", ex);
        }

        var found = configuration.GetSection(section);
        return found.Exists() ? found : throw new UsageException($"--section '{section}': not found in '{file}'.");
    }

    /// <summary>The section's <c>Validation</c> subsection as the service binds it (unknown keys and values out of range refused), then <c>--profile</c> over it.</summary>
    private static MtlsValidationOptions ReadValidation(IConfigurationSection? settings, string sectionName, string? profile)
    {
        var validation = new MtlsValidationOptions();
        var section = settings?.GetSection("Validation");
        if (section is not null && section.Exists())
        {
            var known = typeof(MtlsValidationOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var child in section.GetChildren())
            {
                if (!known.Contains(child.Key))
                {
                    throw new UsageException($"{sectionName}:Validation:{child.Key}: not an option of the Validation section (known: {string.Join(", ", known)}).");
                }
            }

            validation.Profile = ParseProfile(section["Profile"], $"{sectionName}:Validation:Profile") ?? validation.Profile;
            validation.AllowMissingKeyIdentifiers = ReadBool(section, nameof(MtlsValidationOptions.AllowMissingKeyIdentifiers), $"{sectionName}:Validation") ?? false;
            validation.AllowCommonNameNotInSubjectAltNames = ReadBool(section, nameof(MtlsValidationOptions.AllowCommonNameNotInSubjectAltNames), $"{sectionName}:Validation") ?? false;
            validation.MinimumRsaKeySize = ReadRange(section, nameof(MtlsValidationOptions.MinimumRsaKeySize), sectionName) ?? validation.MinimumRsaKeySize;
            validation.MaxCandidatePaths = ReadRange(section, nameof(MtlsValidationOptions.MaxCandidatePaths), sectionName) ?? validation.MaxCandidatePaths;
            validation.MaxSignatureVerifications = ReadRange(section, nameof(MtlsValidationOptions.MaxSignatureVerifications), sectionName) ?? validation.MaxSignatureVerifications;
            validation.MaxPeerIntermediates = ReadRange(section, nameof(MtlsValidationOptions.MaxPeerIntermediates), sectionName) ?? validation.MaxPeerIntermediates;
        }

        validation.Profile = ParseProfile(profile, "--profile") ?? validation.Profile;
        return validation;
    }

    private static MtlsValidationProfile? ParseProfile(string? value, string key) =>
        value is null ? null
        : Enum.TryParse<MtlsValidationProfile>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _) ? parsed
        : throw new UsageException($"{key}: '{value}' is not a profile ({string.Join(" or ", Enum.GetNames<MtlsValidationProfile>())}).");

    /// <summary>An integer of the Validation section within the range its <see cref="MtlsRangeAttribute"/> declares (the one the service enforces at start-up).</summary>
    private static int? ReadRange(IConfigurationSection section, string key, string sectionName)
    {
        var value = ReadInt(section, key, $"{sectionName}:Validation");
        var range = typeof(MtlsValidationOptions).GetProperty(key)!.GetCustomAttributes(typeof(MtlsRangeAttribute), false).OfType<MtlsRangeAttribute>().Single();
        var (minimum, maximum) = (Convert.ToInt32(range.Minimum, CultureInfo.InvariantCulture), Convert.ToInt32(range.Maximum, CultureInfo.InvariantCulture));
        return value is { } v && (v < minimum || v > maximum)
            ? throw new UsageException($"{sectionName}:Validation:{key}: {v} is out of range ({minimum} to {maximum}).")
            : value;
    }

    private static bool? ReadBool(IConfigurationSection? settings, string key, string sectionName) =>
        settings?[key] is not { } value ? null
        : bool.TryParse(value, out var parsed) ? parsed
        : throw new UsageException($"{sectionName}:{key}: '{value}' is not true or false.");

    private static int? ReadInt(IConfigurationSection? settings, string key, string sectionName) =>
        settings?[key] is not { } value ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw new UsageException($"{sectionName}:{key}: '{value}' is not a number.");

    private static string[] Split(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static TimeProvider ParseAt(string? at) =>
        at is null ? TimeProvider.System
        : DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? new FixedTimeProvider(when)
        : throw new UsageException($"--at '{at}': not a time (use ISO 8601, for example 2026-12-31T00:00:00Z).");
}
