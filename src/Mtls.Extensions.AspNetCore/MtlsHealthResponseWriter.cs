using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// Writes a <see cref="HealthReport"/> as JSON, with the data of every entry: for the <c>AddMtlsCertificates()</c> checks
/// the subject, SHA-256 thumbprint, expiry (<c>notAfter</c>), <c>secondsToExpiry</c>, <c>lifetimeRemaining</c> (0–1) and the
/// last reload error. It names certificates, so serve it on an authenticated endpoint, never on an anonymous probe.
/// </summary>
/// <example>
/// <code>
/// app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = MtlsHealthResponseWriter.WriteJsonAsync })
///    .RequireMtlsPeer();
/// </code>
/// </example>
public static class MtlsHealthResponseWriter
{
    /// <summary>Writes <paramref name="report"/> as <c>application/json</c>: <c>status</c>, <c>totalDuration</c> and an <c>entries</c> object keyed by check name.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <param name="report">The health report.</param>
    /// <returns>A task that completes when the response is written.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static async Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store, no-cache";
        var json = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Indented = true });
        await using var _ = json.ConfigureAwait(false);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteString("totalDuration", report.TotalDuration.ToString("c", CultureInfo.InvariantCulture));
        json.WriteStartObject("entries");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is not null)
            {
                json.WriteString("description", entry.Description);
            }

            json.WriteString("duration", entry.Duration.ToString("c", CultureInfo.InvariantCulture));
            if (entry.Exception is not null)
            {
                json.WriteString("error", entry.Exception.Message);
            }

            if (entry.Tags.Any())
            {
                json.WriteStartArray("tags");
                foreach (var tag in entry.Tags)
                {
                    json.WriteStringValue(tag);
                }

                json.WriteEndArray();
            }

            json.WriteStartObject("data");
            foreach (var (key, value) in entry.Data)
            {
                WriteValue(json, key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or byte or uint or ulong or ushort:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset d:
                json.WriteString(key, d);
                break;
            case DateTime d:
                json.WriteString(key, d);
                break;
            default:
                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
