namespace Mtls.Tool.Internal;

/// <summary>The clock of <c>--at</c>: judges a certificate as of another time (the validator takes time only from its TimeProvider).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
