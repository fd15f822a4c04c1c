using System.Net;
using System.Net.Http;
using System.Text;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// nginx with <c>ssl_verify_client on</c> does not reject a client certificate with a TLS alert: it completes the
/// handshake and answers HTTP 400 with its built-in error page "400 The SSL certificate error" (the certificate failed
/// verification) or "400 No required SSL certificate was sent". Both mean the server rejected our certificate; they are
/// recognised only by that exact built-in page, never by the status code alone.
/// </summary>
internal static class NginxCertificateError
{
    private const int MaxErrorPageLength = 4096;

    private static readonly string[] Titles =
    [
        "<title>400 The SSL certificate error</title>",
        "<title>400 No required SSL certificate was sent</title>",
    ];

    /// <summary>Returns the nginx error page's title when <paramref name="response"/> is such an answer; otherwise <see langword="null"/>.</summary>
    /// <remarks>Only a small 400 text/html body is read (buffered, so a response that is not one stays readable).</remarks>
    public static async ValueTask<string?> FindAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!MayBe(response))
        {
            return null;
        }

        await response.Content.LoadIntoBufferAsync(MaxErrorPageLength, cancellationToken).ConfigureAwait(false);
        return Match(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The synchronous twin of <see cref="FindAsync"/>.</summary>
    public static string? Find(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!MayBe(response))
        {
            return null;
        }

        using var stream = response.Content.ReadAsStream(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var body = reader.ReadToEnd();
        // The stream was consumed: put the page back so the caller can still read a response that is not a rejection.
        var headers = response.Content.Headers.ToArray();
        response.Content = new StringContent(body);
        response.Content.Headers.Clear();
        foreach (var (name, values) in headers)
        {
            response.Content.Headers.TryAddWithoutValidation(name, values);
        }

        return Match(body);
    }

    private static bool MayBe(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.BadRequest &&
        response.Content.Headers.ContentType?.MediaType == "text/html" &&
        response.Content.Headers.ContentLength is > 0 and <= MaxErrorPageLength;

    private static string? Match(string body)
    {
        foreach (var title in Titles)
        {
            if (body.Contains(title, StringComparison.Ordinal))
            {
                return title["<title>400 ".Length..^"</title>".Length];
            }
        }

        return null;
    }
}
