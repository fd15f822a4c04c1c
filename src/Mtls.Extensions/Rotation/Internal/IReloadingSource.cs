using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>A source this package reloads itself (files, stores, folders): its status plus what tests and the factory drive.</summary>
internal interface IReloadingSource : IMtlsSourceStatus
{
    long Version { get; }

    bool ReloadNow();
}
