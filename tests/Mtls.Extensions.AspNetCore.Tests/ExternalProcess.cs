using System.Diagnostics;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Runs an interop peer (curl, openssl) that nobody here wrote. CI installs them from Debian packages.</summary>
internal static class ExternalProcess
{
    public static string Require(string tool)
    {
        foreach (var dir in new[] { "/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin" })
        {
            var path = Path.Combine(dir, tool);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"'{tool}' is not installed; install the Debian package (.ci/run does: apt-get install curl openssl nginx-light).");
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
