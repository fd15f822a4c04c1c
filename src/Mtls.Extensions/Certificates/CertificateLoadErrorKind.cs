namespace Mtls.Extensions;

/// <summary>The kind of problem a <see cref="CertificateLoadException"/> reports.</summary>
public enum CertificateLoadErrorKind
{
    /// <summary>Any other problem.</summary>
    Other,

    /// <summary>Nothing was configured where something is required, or the configuration is contradictory.</summary>
    NotConfigured,

    /// <summary>The file does not exist.</summary>
    FileNotFound,

    /// <summary>The file exists but could not be read.</summary>
    Unreadable,

    /// <summary>The content holds no certificate, or not a parsable one.</summary>
    NotACertificate,

    /// <summary>No private key was found for the certificate.</summary>
    NoPrivateKey,

    /// <summary>The private key is not the certificate's key.</summary>
    KeyMismatch,

    /// <summary>The password is missing or wrong.</summary>
    WrongPassword,

    /// <summary>The private key could not be parsed.</summary>
    InvalidKey,

    /// <summary>The certificate has expired.</summary>
    Expired,

    /// <summary>The certificate is not valid yet.</summary>
    NotYetValid,

    /// <summary>The chain in the file does not belong to the leaf.</summary>
    ChainMismatch,

    /// <summary>A trust bundle entry is not a CA certificate.</summary>
    NotACa,

    /// <summary>The certificate was not found in the certificate store.</summary>
    NotFoundInStore,

    /// <summary>The file is larger than the configured limit (<c>MaxFileSize</c>) and was not read.</summary>
    TooLarge,
}
