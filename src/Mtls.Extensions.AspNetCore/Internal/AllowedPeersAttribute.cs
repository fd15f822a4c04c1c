using System.ComponentModel.DataAnnotations;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Every entry of <see cref="MutualTlsOptions.AllowedPeers"/> parses as a <see cref="PeerIdentityPattern"/>; one line per bad entry, naming its index.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
internal sealed class AllowedPeersAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (value is not IList<string> entries)
        {
            return ValidationResult.Success;
        }

        var errors = new List<string>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (!PeerIdentityPattern.TryParse(entries[i], out _, out var error))
            {
                errors.Add($"{validationContext.DisplayName}:{i}: {error}");
            }
        }

        return errors.Count == 0 ? ValidationResult.Success : new ValidationResult(string.Join('\n', errors));
    }
}
