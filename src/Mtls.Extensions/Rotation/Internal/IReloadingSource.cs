namespace Mtls.Extensions.Internal;

/// <summary>What health checks and the expiry gauge see of a source.</summary>
internal interface IReloadingSource
{
    string Name { get; }

    string Kind { get; }

    DateTimeOffset LastSuccess { get; }

    DateTimeOffset? LastFailure { get; }

    Exception? LastError { get; }

    IReadOnlyList<CertificateLifetime> Lifetimes { get; }

    long Version { get; }

    bool ReloadNow();
}

internal readonly record struct CertificateLifetime(string Kind, string Subject, string ThumbprintSha256, DateTimeOffset NotBefore, DateTimeOffset NotAfter);
