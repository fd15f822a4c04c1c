using System.ComponentModel.DataAnnotations;

namespace Mtls.Extensions.Http.Internal;

/// <summary>A URI, when set, is absolute and https: mutual TLS over plain HTTP is no mutual TLS.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class HttpsUriAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is Uri uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps)
            ? new ValidationResult($"{validationContext.DisplayName}: '{uri}' is not an absolute https URI; mutual TLS needs https.")
            : ValidationResult.Success;
}
