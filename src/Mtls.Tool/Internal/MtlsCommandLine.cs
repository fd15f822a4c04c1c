using System.CommandLine;
using Mtls.Extensions;

namespace Mtls.Tool.Internal;

/// <summary>The commands, their options, and the one place exit codes and errors are decided.</summary>
internal static class MtlsCommandLine
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Write one JSON object (for scripts) instead of text.", Recursive = true };
        var root = new RootCommand("mtls: verify, explain and inspect certificates with Mtls.Extensions' own validator and reason codes. Exit codes: 0 ok/accepted, 1 rejected/failed, 2 usage.");
        root.Options.Add(json);
        root.Subcommands.Add(Verify(json, stdout));
        root.Subcommands.Add(Explain(json, stdout));
        root.Subcommands.Add(Inspect(json, stdout));
        root.Subcommands.Add(DevCa(json, stdout));
        root.Subcommands.Add(Probe(json, stdout));
        root.Subcommands.Add(Listen(json, stdout, stderr));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine("Run 'mtls --help' (or 'mtls COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            if (parsed.GetValue(json))
            {
                stdout.WriteLine(new System.Text.Json.Nodes.JsonObject { ["error"] = ex.Message, ["exitCode"] = ExitCodes.Usage }.ToJsonString());
            }

            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            // Whatever the command did not foresee is a failure with its message, not a crash with a stack trace.
            stderr.WriteLine($"error: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    private static Command Verify(Option<bool> json, TextWriter stdout)
    {
        var leaf = new Argument<string>("LEAF") { Description = "The peer's certificate: PEM (leaf, optionally followed by its intermediates), DER or PFX." };
        var chain = new Option<string>("--chain") { Description = "A PEM file of the intermediates the peer sends." };
        var ca = new Option<string>("--ca") { Description = "The pinned CA bundle (TrustedCa:Path)." };
        var role = new Option<string>("--role") { Description = "Whose certificate LEAF is: client (judged by a server) or server (judged by a client).", Required = true };
        role.AcceptOnlyFromAmong("client", "server");
        var allowed = new Option<string[]>("--allowed") { Description = "An allowed peer (AllowedPeers entry); repeatable.", AllowMultipleArgumentsPerToken = false };
        var expected = new Option<string>("--expected-server") { Description = "The identity a client expects of the server (ExpectedServer)." };
        var host = new Option<string>("--host") { Description = "With --role server and no expected identity: the host name the client connects to." };
        var at = new Option<string>("--at") { Description = "Judge as of this time (ISO 8601) instead of now." };
        var config = new Option<string>("--config") { Description = "An appsettings.json: take TrustedCa, AllowedPeers, ExpectedServer, MaxChainDepth, AllowMissingExtendedKeyUsage, RequireSpiffeId and the Validation section from it, with environment variables (Mtls__Server__...) over it as in the service." };
        var section = new Option<string>("--section") { Description = "The section of --config (default Mtls:Server for --role client)." };
        var password = new Option<string>("--password") { Description = "The password of a PFX LEAF." };
        var profile = new Option<string>("--profile") { Description = "The validation profile (Validation:Profile): Rfc5280 (default) or WebPki; overrides --config." };
        var command = new Command("verify", "Judge a certificate with the library's own validator, as a service configured the same way would.")
        {
            leaf, chain, ca, role, allowed, expected, host, at, config, section, password, profile,
        };
        command.SetAction(p => VerifyCommand.Run(
            new VerifyCommand.Request(
                p.GetValue(leaf)!,
                p.GetValue(chain),
                p.GetValue(ca),
                p.GetValue(role) == "server" ? PeerRole.Server : PeerRole.Client,
                p.GetValue(allowed) ?? [],
                p.GetValue(expected),
                p.GetValue(host),
                p.GetValue(at),
                p.GetValue(config),
                p.GetValue(section),
                p.GetValue(password),
                p.GetValue(profile)),
            new CommandOutput(p.GetValue(json), stdout)));
        return command;
    }

    private static Command Explain(Option<bool> json, TextWriter stdout)
    {
        var input = new Argument<string>("CODE|LOG-LINE") { Description = "A reason code (UntrustedRoot), an event id (201) or a log line of the library." };
        var command = new Command("explain", "Explain a reason code, an event id or a log line: meaning, likely causes, fixes.") { input };
        command.SetAction(p => ExplainCommand.Run(p.GetValue(input)!, new CommandOutput(p.GetValue(json), stdout)));
        return command;
    }

    private static Command Inspect(Option<bool> json, TextWriter stdout)
    {
        var target = new Argument<string>("FILE|FOLDER|https://host:port") { Description = "A PEM, DER or PFX file, a folder in a known layout, or a live server." };
        var password = new Option<string>("--password") { Description = "The password of a PFX file." };
        var at = new Option<string>("--at") { Description = "Compute the time left as of this time (ISO 8601) instead of now." };
        var command = new Command("inspect", "Show a certificate chain as a tree, with everything that decides a verdict.") { target, password, at };
        command.SetAction((p, cancellationToken) => InspectCommand.RunAsync(
            p.GetValue(target)!, p.GetValue(password), p.GetValue(at), new CommandOutput(p.GetValue(json), stdout), cancellationToken));
        return command;
    }

    private static Command DevCa(Option<bool> json, TextWriter stdout)
    {
        Option<string> Dir() => new("--dir") { Description = "The development CA's folder.", DefaultValueFactory = _ => "dev-ca" };
        Option<string> KeyType() => new("--key-type") { Description = "ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096.", DefaultValueFactory = _ => "ecdsa-p256" };

        var initDir = Dir();
        var initKey = KeyType();
        var name = new Option<string>("--name") { Description = "The CA's name (its subject says DEVELOPMENT ONLY).", DefaultValueFactory = _ => "mtls dev" };
        var caDays = new Option<int>("--days") { Description = "How long the CAs are valid.", DefaultValueFactory = _ => 365 };
        var init = new Command("init", "Create a development root and issuing intermediate; never overwrites a CA key.") { initDir, name, initKey, caDays };
        init.SetAction(p => DevCaCommand.Init(p.GetValue(initDir)!, p.GetValue(name)!, p.GetValue(initKey)!, p.GetValue(caDays), new CommandOutput(p.GetValue(json), stdout)));

        var leafName = new Argument<string>("NAME") { Description = "The leaf's common name (display only; identities are SANs)." };
        var issueDir = Dir();
        var issueKey = KeyType();
        var output = new Option<string>("--out") { Description = "Where to write the leaf (default: the CA folder)." };
        var layout = new Option<string>("--layout") { Description = "plain (NAME.pem, NAME.key, ca.pem), cert-manager, spiffe-helper or spiffe-filesystem.", DefaultValueFactory = _ => "plain" };
        layout.AcceptOnlyFromAmong("plain", "cert-manager", "spiffe-helper", "spiffe-filesystem");
        var spiffe = new Option<string>("--spiffe-id") { Description = "The SPIFFE ID (URI SAN)." };
        var dns = new Option<string[]>("--dns") { Description = "A DNS SAN; repeatable." };
        var ip = new Option<string[]>("--ip") { Description = "An IP SAN; repeatable." };
        var client = new Option<bool>("--client") { Description = "clientAuth only (default: clientAuth and serverAuth)." };
        var server = new Option<bool>("--server") { Description = "serverAuth only (default: clientAuth and serverAuth)." };
        var days = new Option<int>("--days") { Description = "How long the leaf is valid.", DefaultValueFactory = _ => 30 };
        var issue = new Command("issue", "Issue a leaf from the development CA, in a layout the library reads.")
        {
            leafName, issueDir, output, layout, spiffe, dns, ip, client, server, days, issueKey,
        };
        issue.SetAction(p => DevCaCommand.Issue(
            new DevCaCommand.IssueRequest(
                p.GetValue(leafName)!,
                p.GetValue(issueDir)!,
                p.GetValue(output) ?? p.GetValue(issueDir)!,
                p.GetValue(layout)!,
                p.GetValue(spiffe),
                p.GetValue(dns) ?? [],
                p.GetValue(ip) ?? [],
                p.GetValue(client),
                p.GetValue(server),
                p.GetValue(days),
                p.GetValue(issueKey)!),
            new CommandOutput(p.GetValue(json), stdout)));

        return new Command("dev-ca", "A development PKI (root, issuing intermediate) and leaves, marked DEVELOPMENT ONLY.") { init, issue };
    }

    private static Command Listen(Option<bool> json, TextWriter stdout, TextWriter stderr)
    {
        var port = new Option<int>("--port") { Description = "The TCP port (0: any free port, printed on stderr).", Required = true };
        var ca = new Option<string>("--ca") { Description = "The pinned CA bundle the client's certificate must chain to (Mtls:Server:TrustedCa:Path).", Required = true };
        var cert = new Option<string>("--cert") { Description = "Our server certificate: PEM (leaf, then its intermediates) or PFX; default a throwaway self-signed one." };
        var key = new Option<string>("--key") { Description = "Our PEM private key, when --cert holds none." };
        var password = new Option<string>("--password") { Description = "The password of a PFX --cert." };
        var address = new Option<string>("--address") { Description = "The IP address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var timeout = new Option<int>("--timeout") { Description = "Give up (exit 1) when no client completes a handshake within this many seconds.", DefaultValueFactory = _ => 120 };
        var command = new Command("listen", "A one-shot mTLS server: shows the chain one client sends and the library's verdict on it (exit 0 accepted, 1 rejected).")
        {
            port, ca, cert, key, password, address, timeout,
        };
        command.SetAction((p, cancellationToken) => ListenCommand.RunAsync(
            new ListenCommand.Request(p.GetValue(port), p.GetValue(ca)!, p.GetValue(cert), p.GetValue(key), p.GetValue(password), p.GetValue(address)!, p.GetValue(timeout)),
            new CommandOutput(p.GetValue(json), stdout),
            stderr,
            cancellationToken));
        return command;
    }

    private static Command Probe(Option<bool> json, TextWriter stdout)
    {
        var url = new Argument<string>("https://host:port") { Description = "The server to probe." };
        var cert = new Option<string>("--cert") { Description = "Our certificate: PEM (leaf, then its intermediates) or PFX.", Required = true };
        var key = new Option<string>("--key") { Description = "Our PEM private key, when --cert holds none." };
        var ca = new Option<string>("--ca") { Description = "The pinned CA bundle the server's certificate must chain to.", Required = true };
        var expected = new Option<string>("--expected-server") { Description = "The identity the server must carry (default: the host name)." };
        var password = new Option<string>("--password") { Description = "The password of a PFX --cert." };
        var command = new Command("probe", "Connect as an mTLS client: the handshake, the verdict on the server, and whether it accepted our certificate.")
        {
            url, cert, key, ca, expected, password,
        };
        command.SetAction((p, cancellationToken) => ProbeCommand.RunAsync(
            new ProbeCommand.Request(p.GetValue(url)!, p.GetValue(cert)!, p.GetValue(key), p.GetValue(ca)!, p.GetValue(expected), p.GetValue(password)),
            new CommandOutput(p.GetValue(json), stdout),
            cancellationToken));
        return command;
    }
}
