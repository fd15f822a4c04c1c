using System.ComponentModel.DataAnnotations;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Every entry of <see cref="MtlsHttpClientOptions.ExpectedServer"/> parses as a <see cref="PeerIdentityPattern"/>; one line per bad entry.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class ExpectedServerAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var errors = new List<string>();
        var i = 0;
        foreach (var entry in MtlsHttpClientDefaults.SplitExpectedServer(value as string))
        {
            if (!PeerIdentityPattern.TryParse(entry, out _, out var error))
            {
                errors.Add($"{validationContext.DisplayName}: entry {i} '{entry}': {error}");
            }

            i++;
        }

        return errors.Count == 0 ? ValidationResult.Success : new ValidationResult(string.Join('\n', errors));
    }
}
