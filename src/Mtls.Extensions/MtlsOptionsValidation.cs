using Microsoft.Extensions.Options;

namespace Mtls.Extensions;

/// <summary>Runs a source-generated options validator so that its messages name configuration keys.</summary>
public static class MtlsOptionsValidation
{
    /// <summary>
    /// Validates <paramref name="options"/> with a generated validator (<c>[OptionsValidator]</c>) and names every failing
    /// option by its configuration key under <paramref name="configurationPath"/>. The generator names members with dots
    /// (<c>Mtls:Clients:inventory.Reload.PollInterval</c>); configuration names them with colons
    /// (<c>Mtls:Clients:inventory:Reload:PollInterval</c>), the way users write them in appsettings.json and environment variables.
    /// A message of several lines (an attribute that found several bad entries of a list) becomes one failure per line.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="validator">The generated validator.</param>
    /// <param name="configurationPath">The configuration section the options are bound from (<c>Mtls:Server</c>).</param>
    /// <param name="options">The options.</param>
    /// <returns>The validator's result, its failures naming configuration keys.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="configurationPath"/> is empty.</exception>
    public static ValidateOptionsResult ValidateWithConfigurationKeys<TOptions>(this IValidateOptions<TOptions> validator, string configurationPath, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentException.ThrowIfNullOrEmpty(configurationPath);
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(configurationPath, options);
        if (!result.Failed || result.Failures is null)
        {
            return result;
        }

        var prefix = configurationPath + ".";
        return ValidateOptionsResult.Fail(result.Failures
            .SelectMany(failure => failure.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(failure => failure.StartsWith(prefix, StringComparison.Ordinal)
                ? configurationPath + ":" + MemberPathToKey(failure[prefix.Length..])
                : failure));
    }

    /// <summary><c>Reload.PollInterval: 2.00:00:00 is out of range</c> → <c>Reload:PollInterval: ...</c>: member names hold neither ':' nor ' '.</summary>
    private static string MemberPathToKey(string failure)
    {
        var end = failure.AsSpan().IndexOfAny(':', ' ');
        return end < 0 ? failure.Replace('.', ':') : failure[..end].Replace('.', ':') + failure[end..];
    }
}
