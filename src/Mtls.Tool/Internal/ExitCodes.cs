namespace Mtls.Tool.Internal;

/// <summary>What the tool's exit code means, the same for every command.</summary>
internal static class ExitCodes
{
    /// <summary>The certificate was accepted, or the command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>The certificate was rejected, or the command could not do what it was asked (nothing to explain, a server unreachable).</summary>
    public const int Failed = 1;

    /// <summary>The command line or an input named on it is wrong: an unknown option, a missing or unreadable file.</summary>
    public const int Usage = 2;
}
