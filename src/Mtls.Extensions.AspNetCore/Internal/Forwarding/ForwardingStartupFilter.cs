using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>Puts <see cref="ForwardedCertificateGate"/> first in the request pipeline, before anything the app adds (forwarded-headers middleware included, so the address judged is the connection's own).</summary>
internal sealed class ForwardingStartupFilter(ForwardedCertificateGate gate) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(inner => context => gate.InvokeAsync(context, inner));
        next(app);
    };
}
