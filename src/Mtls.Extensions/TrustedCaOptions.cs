namespace Mtls.Extensions;

/// <summary>Where the pinned CA certificates (the only trust anchors) come from.</summary>
public sealed class TrustedCaOptions
{
    /// <summary>Gets or sets a PEM bundle or DER file of one or more CA certificates (roots or intermediates).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets inline PEM with one or more CA certificates.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Pem { get; set; }

    /// <summary>Gets or sets the largest trust bundle file that is read; a larger one is refused (at start-up) or ignored (at run time, keeping the last good bundle).</summary>
    /// <value>The default is 1 MiB.</value>
    public long MaxFileSize { get; set; } = Internal.FileReader.DefaultMaxFileSize;

    /// <summary>Gets a value indicating whether a bundle is configured.</summary>
    /// <value><see langword="true"/> when <see cref="Path"/> or <see cref="Pem"/> is set.</value>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Pem);
}
