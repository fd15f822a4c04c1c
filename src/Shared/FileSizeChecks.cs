using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>Range checks of the file size limits, shared by the server and client option validators.</summary>
internal static class FileSizeChecks
{
    private const long Minimum = 1024;
    private const long Maximum = 256L * 1024 * 1024;

    public static void Validate(ValidateOptionsResultBuilder builder, string path, CertificateSourceOptions certificate, TrustedCaOptions trust)
    {
        Check(builder, $"{path}:Certificate:MaxFileSize", certificate.MaxFileSize);
        Check(builder, $"{path}:TrustedCa:MaxFileSize", trust.MaxFileSize);
    }

    private static void Check(ValidateOptionsResultBuilder builder, string key, long value)
    {
        if (value is < Minimum or > Maximum)
        {
            builder.AddError($"{key}: {value} is out of range; use {Minimum} to {Maximum} bytes.");
        }
    }
}
