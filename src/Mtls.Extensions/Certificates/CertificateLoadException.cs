namespace Mtls.Extensions;

/// <summary>
/// Certificate material or a trust bundle could not be loaded. The message names the file or
/// configuration key and what is wrong with it; it never contains key material or passwords.
/// </summary>
public sealed class CertificateLoadException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="CertificateLoadException"/> class.</summary>
    public CertificateLoadException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CertificateLoadException"/> class.</summary>
    /// <param name="message">The message.</param>
    public CertificateLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CertificateLoadException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CertificateLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CertificateLoadException"/> class.</summary>
    /// <param name="source">The file or configuration key that could not be loaded.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="kind">The kind of problem.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CertificateLoadException(string source, string problem, CertificateLoadErrorKind kind, Exception? innerException = null)
        : base($"{source}: {problem}", innerException)
    {
        Source = source;
        Kind = kind;
    }

    /// <summary>Gets the file or configuration key that could not be loaded.</summary>
    /// <value>A path or a key such as <c>Mtls:Server:Certificate:Path</c>.</value>
    public new string? Source { get; }

    /// <summary>Gets the kind of problem.</summary>
    /// <value>The default is <see cref="CertificateLoadErrorKind.Other"/>.</value>
    public CertificateLoadErrorKind Kind { get; } = CertificateLoadErrorKind.Other;
}
