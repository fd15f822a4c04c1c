using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Health of one source: Healthy; Degraded when the remaining lifetime is below the configured fraction
/// or the last reload failed; Unhealthy when expired or never loaded. The data says which certificate and why.
/// With <paramref name="includeCrls"/>, a trust bundle's check also shows the CRLs of <c>TrustedCa:Crls</c> (issuer, age,
/// next update): one past <c>nextUpdate</c> plus <c>Revocation:CrlGracePeriod</c> makes it Degraded with
/// <c>Revocation:AllowStaleCrl</c> (fail open), Unhealthy otherwise (its issuer's peers are refused). An endpoint without
/// CRL files reports exactly as before. Readiness leaves CRLs out: a stale CRL refuses peers, it does not stop this app
/// from serving, and every replica shares the same CRL.
/// </summary>
internal sealed class MtlsSourceHealthCheck(string name, string kind, MtlsSourceRegistry registry, TimeProvider time, MtlsHealthCheckOptions options, bool includeCrls = false) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Check());

    internal HealthCheckResult Check()
    {
        var source = registry.Snapshot().FirstOrDefault(s => s.Name == name && s.Kind == kind);
        if (source is null)
        {
            return HealthCheckResult.Unhealthy($"The {kind} for '{name}' has never been loaded.", data: new Dictionary<string, object> { ["source"] = name, ["kind"] = kind });
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object> { ["source"] = name, ["kind"] = kind, ["lastSuccessfulLoad"] = source.LastSuccess.ToString("o", CultureInfo.InvariantCulture) };
        var problems = new List<string>();
        var expired = 0;
        var status = HealthStatus.Healthy;
        var lifetimes = source.Lifetimes;
        for (var i = 0; i < lifetimes.Count; i++)
        {
            var lifetime = lifetimes[i];
            var prefix = lifetimes.Count == 1 ? string.Empty : $"[{i}].";
            var total = lifetime.NotAfter - lifetime.NotBefore;
            var left = lifetime.NotAfter - now;
            var fraction = total <= TimeSpan.Zero ? 0 : Math.Clamp(left / total, 0, 1);
            // Names come from files and agents this app does not control byte by byte: escaped like peer text.
            var subject = PeerText.Escape(lifetime.Subject);
            data[prefix + "subject"] = subject;
            data[prefix + "thumbprintSha256"] = lifetime.ThumbprintSha256;
            data[prefix + "notAfter"] = lifetime.NotAfter.ToString("o", CultureInfo.InvariantCulture);
            data[prefix + "secondsToExpiry"] = Math.Round(left.TotalSeconds);
            data[prefix + "lifetimeRemaining"] = Math.Round(fraction, 4);
            if (left <= TimeSpan.Zero)
            {
                expired++;
                problems.Add($"{subject} expired at {lifetime.NotAfter:u}");
            }
            else if (fraction < options.DegradedLifetimeFraction)
            {
                status = HealthStatus.Degraded;
                problems.Add($"{subject} has {fraction:P0} of its lifetime left (expires {lifetime.NotAfter:u}); renewal was due at {options.DegradedLifetimeFraction:P0}");
            }
        }

        if (expired > 0)
        {
            // A bundle keeps working while one of its anchors is still valid (CA rotation overlap).
            status = expired == lifetimes.Count ? HealthStatus.Unhealthy : HealthStatus.Degraded;
        }

        if (source.LastError is { } error)
        {
            status = status == HealthStatus.Unhealthy ? status : HealthStatus.Degraded;
            data["lastReloadFailure"] = source.LastFailure?.ToString("o", CultureInfo.InvariantCulture) ?? string.Empty;
            var message = PeerText.Escape(error.Message, PeerText.MaxMessageLength);
            data["lastReloadError"] = message;
            problems.Add($"the last reload failed: {message}");
        }

        if (includeCrls && kind == "trust-bundle")
        {
            status = AddCrls(now, data, problems, status);
        }

        var description = problems.Count == 0
            ? $"The {kind} for '{name}' is valid: {string.Join(", ", lifetimes.Select(l => $"{PeerText.Escape(l.Subject)} until {l.NotAfter:u}"))}."
            : $"The {kind} for '{name}': {string.Join("; ", problems)}.";
        return new HealthCheckResult(status, description, data: data);
    }

    private HealthStatus AddCrls(DateTimeOffset now, Dictionary<string, object> data, List<string> problems, HealthStatus status)
    {
        if (registry.Snapshot().FirstOrDefault(s => s.Name == name && s.Kind == "revocation") is not ReloadingRevocationSource source)
        {
            return status;
        }

        var settings = source.Settings;
        var grace = settings?.CrlGracePeriod ?? TimeSpan.Zero;
        var failOpen = settings?.AllowStaleCrl ?? false;
        var crls = source.Current.Crls;
        for (var i = 0; i < crls.Count; i++)
        {
            var crl = crls[i];
            var prefix = $"crl[{i}].";
            var issuer = PeerText.Escape(crl.IssuerText);
            var age = now - crl.ThisUpdate;
            data[prefix + "issuer"] = issuer;
            data[prefix + "thisUpdate"] = crl.ThisUpdate.ToString("o", CultureInfo.InvariantCulture);
            data[prefix + "ageSeconds"] = Math.Round(age.TotalSeconds);
            if (crl.NextUpdate is not { } next)
            {
                continue;
            }

            data[prefix + "nextUpdate"] = next.ToString("o", CultureInfo.InvariantCulture);
            data[prefix + "secondsToNextUpdate"] = Math.Round((next - now).TotalSeconds);
            if (now > next + grace)
            {
                var graceText = grace.ToString("c", CultureInfo.InvariantCulture);
                problems.Add(failOpen
                    ? $"the CRL of {issuer} is stale (age {FormatAge(age)}, nextUpdate {next:u}, grace {graceText}); fail open: peers it does not list are accepted"
                    : $"the CRL of {issuer} is stale (age {FormatAge(age)}, nextUpdate {next:u}, grace {graceText}); fail closed: its issuer's peers are refused until a newer CRL is installed");
                status = failOpen ? (status == HealthStatus.Healthy ? HealthStatus.Degraded : status) : HealthStatus.Unhealthy;
            }
        }

        if (source.LastError is { } error)
        {
            status = status == HealthStatus.Unhealthy ? status : HealthStatus.Degraded;
            var message = PeerText.Escape(error.Message, PeerText.MaxMessageLength);
            data["crlLastReloadError"] = message;
            problems.Add($"the last CRL reload failed: {message}");
        }

        return status;
    }

    private static string FormatAge(TimeSpan age) => age.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture);
}
