namespace Mtls.Extensions.Testing;

/// <summary>The steps of one <see cref="KubernetesSecretVolume"/> update, in the order kubelet's AtomicWriter runs them.</summary>
public enum KubernetesSecretVolumeStep
{
    /// <summary>The new timestamped folder (<c>..2026_11_22_10_00_00.123456789</c>) holds the whole new payload; nothing visible has changed yet.</summary>
    DataDirectoryWritten,

    /// <summary>Links for new top-level names (<c>tls.crt -&gt; ..data/tls.crt</c>) exist; they still resolve through the old <c>..data</c>.</summary>
    UserVisibleLinksCreated,

    /// <summary><c>..data_tmp</c> points at the new folder and has been renamed over <c>..data</c>: the atomic switch.</summary>
    DataLinkSwapped,

    /// <summary>Links for names no longer in the payload are gone.</summary>
    OldUserVisibleLinksRemoved,

    /// <summary>The previous timestamped folder is deleted; the update is complete.</summary>
    OldDataDirectoryRemoved,
}
