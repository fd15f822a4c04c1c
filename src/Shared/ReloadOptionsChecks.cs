using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>Range checks of <see cref="MtlsReloadOptions"/> shared by the server and client option validators.</summary>
internal static class ReloadOptionsChecks
{
    public static void Validate(ValidateOptionsResultBuilder builder, string path, MtlsReloadOptions reload)
    {
        if (reload.PollInterval < TimeSpan.Zero || reload.PollInterval > TimeSpan.FromDays(1))
        {
            builder.AddError($"{path}:PollInterval: {reload.PollInterval} is out of range; use 00:00:00 (off) to 1.00:00:00.");
        }

        if (reload.DebounceDelay < TimeSpan.Zero || reload.DebounceDelay > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{path}:DebounceDelay: {reload.DebounceDelay} is out of range; use 00:00:00 to 00:01:00.");
        }

        if (reload.RetryDelay <= TimeSpan.Zero || reload.RetryDelay > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{path}:RetryDelay: {reload.RetryDelay} is out of range; use a positive delay up to 00:01:00.");
        }

        if (reload.MaxRetries is < 0 or > 100)
        {
            builder.AddError($"{path}:MaxRetries: {reload.MaxRetries} is out of range; use 0 to 100.");
        }
    }
}
