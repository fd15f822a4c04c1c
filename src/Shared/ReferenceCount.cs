namespace Mtls.Extensions.Internal;

/// <summary>
/// A reference count that starts at one (the creator's reference) and never comes back from zero: the counting behind
/// <c>CertificateMaterial</c> (certificates disposed with their last user) and the client's handler leases (a handler
/// disposed when its last response body is read). A mutable struct: keep it in a field and call it through that field.
/// </summary>
internal struct ReferenceCount
{
    private int _count;

    /// <summary>Initializes a new instance of the <see cref="ReferenceCount"/> struct holding the creator's reference.</summary>
    public ReferenceCount() => _count = 1;

    /// <summary>Gets a value indicating whether the last reference was released.</summary>
    public readonly bool IsZero => Volatile.Read(in _count) == 0;

    /// <summary>Takes a reference unless the count already reached zero.</summary>
    /// <returns><see langword="true"/> when a reference was taken.</returns>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _count);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _count, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference.</summary>
    /// <returns>What is left: 0 for the last reference (the caller disposes); below 0 when more were released than taken
    /// (the count is put back at zero and the caller reports the misuse).</returns>
    public int Release()
    {
        var left = Interlocked.Decrement(ref _count);
        if (left < 0)
        {
            Interlocked.Increment(ref _count);
        }

        return left;
    }
}
