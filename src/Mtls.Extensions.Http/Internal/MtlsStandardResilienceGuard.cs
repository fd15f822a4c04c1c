using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using System.Net.Http;
using Polly;
using Polly.CircuitBreaker;
using Polly.Hedging;
using Polly.Retry;
using Polly.Telemetry;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Makes the standard handlers an app adds to an mTLS client (<c>AddStandardResilienceHandler()</c>,
/// <c>AddStandardHedgingHandler()</c>) never retry, hedge or count against the circuit a certificate rejection: whatever
/// predicate the app configured still decides every other outcome.
/// </summary>
internal sealed class MtlsStandardResilienceGuard(string name) : IPostConfigureOptions<HttpStandardResilienceOptions>, IPostConfigureOptions<HttpStandardHedgingResilienceOptions>
{
    public string Name => name;

    public void PostConfigure(string? optionsName, HttpStandardResilienceOptions options)
    {
        // AddStandardResilienceHandler names its options "{client}-standard"; AddStandardHedgingHandler uses the client name.
        if (optionsName != Name + "-standard")
        {
            return;
        }

        options.Retry.ShouldHandle = NeverOnRejection(options.Retry.ShouldHandle);
        options.CircuitBreaker.ShouldHandle = NeverOnRejection(options.CircuitBreaker.ShouldHandle);
    }

    public void PostConfigure(string? optionsName, HttpStandardHedgingResilienceOptions options)
    {
        if (optionsName != Name)
        {
            return;
        }

        options.Hedging.ShouldHandle = NeverOnRejection(options.Hedging.ShouldHandle);
        options.Endpoint.CircuitBreaker.ShouldHandle = NeverOnRejection(options.Endpoint.CircuitBreaker.ShouldHandle);
    }

    private static Func<RetryPredicateArguments<HttpResponseMessage>, ValueTask<bool>> NeverOnRejection(Func<RetryPredicateArguments<HttpResponseMessage>, ValueTask<bool>> inner) =>
        args => MtlsResilience.IsCertificateRejection(args.Outcome.Exception) ? ValueTask.FromResult(false) : inner(args);

    private static Func<CircuitBreakerPredicateArguments<HttpResponseMessage>, ValueTask<bool>> NeverOnRejection(Func<CircuitBreakerPredicateArguments<HttpResponseMessage>, ValueTask<bool>> inner) =>
        args => MtlsResilience.IsCertificateRejection(args.Outcome.Exception) ? ValueTask.FromResult(false) : inner(args);

    private static Func<HedgingPredicateArguments<HttpResponseMessage>, ValueTask<bool>> NeverOnRejection(Func<HedgingPredicateArguments<HttpResponseMessage>, ValueTask<bool>> inner) =>
        args => MtlsResilience.IsCertificateRejection(args.Outcome.Exception) ? ValueTask.FromResult(false) : inner(args);
}

/// <summary>
/// Polly reports every attempt of a retry strategy ("Execution attempt") at Information when it succeeded; for the mTLS
/// clients' default pipeline that is one log line per request. Those become Debug; handled (retried) attempts stay Warning.
/// </summary>
internal sealed class MtlsTelemetrySeverity : IConfigureNamedOptions<TelemetryOptions>
{
    private const string ExecutionAttempt = "ExecutionAttempt";
    private static readonly string PipelineSuffix = "-" + MtlsHttpClientDefaults.ResiliencePipelineName;

    public void Configure(TelemetryOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, TelemetryOptions options)
    {
        var previous = options.SeverityProvider;
        options.SeverityProvider = args =>
        {
            var severity = previous?.Invoke(args) ?? args.Event.Severity;
            return severity == ResilienceEventSeverity.Information &&
                   args.Event.EventName == ExecutionAttempt &&
                   args.Source.PipelineName?.EndsWith(PipelineSuffix, StringComparison.Ordinal) == true
                ? ResilienceEventSeverity.Debug
                : severity;
        };
    }
}
