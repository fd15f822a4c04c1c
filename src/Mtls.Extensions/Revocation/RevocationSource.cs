using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// The revocation data of one endpoint: its watched CRL files (<c>TrustedCa:Crls</c>) and denylist file
/// (<c>Revocation:DenyPath</c>), combined with the configured denylist (<c>Revocation:Deny</c>) into the peer validation
/// options. When the files change, <see cref="GetChangeToken"/> fires: the endpoint applies the new data and judges its open
/// connections again, so a revocation takes effect now, not at the next handshake.
/// </summary>
/// <remarks>Infrastructure for the sibling packages; created by <see cref="MtlsSourceFactory.GetRevocationSource"/>.</remarks>
public sealed class RevocationSource
{
    private readonly ReloadingRevocationSource? _files;

    internal RevocationSource(ReloadingRevocationSource? files)
    {
        _files = files;
    }

    /// <summary>Gets a token that fires when the CRL or denylist files changed.</summary>
    /// <returns>The change token; one that never fires when no file is configured.</returns>
    public IChangeToken GetChangeToken() => _files?.GetChangeToken() ?? new CancellationChangeToken(CancellationToken.None);

    /// <summary>
    /// Puts the current revocation data into <paramref name="peerOptions"/>: the configured denylist, the denylist file and
    /// the CRL files, with the settings of <paramref name="options"/>.
    /// </summary>
    /// <param name="peerOptions">Peer validation options just built (see <see cref="HandshakePolicy.BuildPeerOptions"/>); changed in place.</param>
    /// <param name="options">The endpoint's revocation options.</param>
    /// <param name="configurationPath">The configuration key of <paramref name="options"/> (<c>Mtls:Server:Revocation</c>), for messages.</param>
    /// <returns><paramref name="peerOptions"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">A configured denylist entry does not parse; the message names its key.</exception>
    public PeerValidationOptions Apply(PeerValidationOptions peerOptions, MtlsRevocationOptions options, string configurationPath)
    {
        ArgumentNullException.ThrowIfNull(peerOptions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configurationPath);
        var configured = DenyList.FromConfiguration(options.Deny, $"{configurationPath}:Deny");
        var files = _files?.Current ?? RevocationFiles.Empty;
        if (_files is not null)
        {
            _files.Settings = options;
        }

        peerOptions.Revocation = new RevocationPolicy(configured.Merge(files.Deny), files.Crls, options, configurationPath);
        return peerOptions;
    }
}
