using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Tool.Internal;

/// <summary>
/// Whether the server resumes sessions, measured with a foreign peer: .NET's client has no public "resumed" flag, so
/// <c>openssl s_client</c> connects twice with our certificate (first saving the session, then offering it) and the second
/// run's own report (<c>Reused,</c> or <c>New,</c>) is the answer. Without openssl the answer is unknown, never a guess.
/// </summary>
internal static class ResumptionProbe
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The answer: <see langword="true"/> resumed, <see langword="false"/> full handshake again, <see langword="null"/> unknown; and why.</summary>
    public readonly record struct Result(bool? Resumed, string Reason);

    public static async Task<Result> CheckAsync(Uri uri, string cert, string? key, X509Certificate2 leaf, string ca, CancellationToken cancellationToken)
    {
        var openssl = FindOnPath(OperatingSystem.IsWindows() ? "openssl.exe" : "openssl");
        if (openssl is null)
        {
            return new(null, "openssl is not on PATH; the check runs openssl s_client twice and reads whether it resumed");
        }

        var folder = Directory.CreateTempSubdirectory("mtls-probe-");
        try
        {
            var certPath = cert;
            var keyPath = key;
            if (keyPath is null)
            {
                // A PFX: openssl needs the certificate and key as PEM.
                var pem = ExportKeyPem(leaf);
                if (pem is null)
                {
                    return new(null, "the private key in --cert cannot be exported for openssl; pass a PEM certificate and --key");
                }

                certPath = Path.Combine(folder.FullName, "cert.pem");
                keyPath = Path.Combine(folder.FullName, "key.pem");
                await File.WriteAllTextAsync(certPath, leaf.ExportCertificatePem(), cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(keyPath, pem, cancellationToken).ConfigureAwait(false);
            }

            var session = Path.Combine(folder.FullName, "session.pem");
            var first = await RunAsync(openssl, uri, certPath, keyPath, ca, "-sess_out", session, cancellationToken).ConfigureAwait(false);
            if (first.Error is not null)
            {
                return new(null, $"the first openssl s_client run {first.Error}");
            }

            if (!File.Exists(session) || new FileInfo(session).Length == 0)
            {
                return new(null, "the first openssl s_client run saved no session");
            }

            var second = await RunAsync(openssl, uri, certPath, keyPath, ca, "-sess_in", session, cancellationToken).ConfigureAwait(false);
            if (second.Error is not null)
            {
                return new(null, $"the second openssl s_client run {second.Error}");
            }

            var lines = second.Output.Split('\n').Select(l => l.Trim()).ToArray();
            if (lines.Any(l => l.StartsWith("Reused,", StringComparison.Ordinal)))
            {
                return new(true, "openssl s_client offered the session of its first connection and the server resumed it (Reused)");
            }

            if (lines.Any(l => l.StartsWith("New,", StringComparison.Ordinal)))
            {
                return new(false, "openssl s_client offered the session of its first connection and the server made a full handshake (New): it issues no tickets or does not accept them");
            }

            return new(null, "the second openssl s_client run reported neither Reused nor New");
        }
        finally
        {
            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(string Output, string? Error)> RunAsync(string openssl, Uri uri, string cert, string key, string ca, string sessionOption, string session, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(openssl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "s_client", "-connect", $"{uri.IdnHost}:{uri.Port}", "-servername", uri.IdnHost,
            "-cert", cert, "-cert_chain", cert, "-key", key, "-CAfile", ca, sessionOption, session, "-ign_eof",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return ("", $"could not start: {ex.Message}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            // TLS 1.3 tickets arrive after the handshake: ask for one answer, close stdin and read until the server closes.
            await process.StandardInput.WriteAsync($"GET / HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\n\r\n".AsMemory(), timeout.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return (await stdout.ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            return ("", ex is OperationCanceledException ? $"did not finish within {RunTimeout.TotalSeconds} s" : $"failed: {ex.Message}");
        }
    }

    private static string? ExportKeyPem(X509Certificate2 leaf)
    {
        try
        {
            using AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)leaf.GetRSAPrivateKey() ?? leaf.GetECDsaPrivateKey();
            return key?.ExportPkcs8PrivateKeyPem();
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
