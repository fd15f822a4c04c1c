using Microsoft.AspNetCore.Authentication;

namespace Mtls.Extensions.AspNetCore;

/// <summary>Options of the <c>MutualTls</c> authentication scheme.</summary>
public sealed class MutualTlsAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Initializes a new instance of the <see cref="MutualTlsAuthenticationOptions"/> class.</summary>
    public MutualTlsAuthenticationOptions() => Events = new MutualTlsEvents();

    /// <summary>Gets or sets the events raised by the handler.</summary>
    /// <value>The default does nothing.</value>
    public new MutualTlsEvents Events
    {
        get => (MutualTlsEvents)base.Events!;
        set => base.Events = value;
    }
}
