using Microsoft.Extensions.DependencyInjection;

namespace Mtls.Extensions.Internal;

/// <summary>A source name an entry point will create (e.g. <c>server</c>, <c>client:inventory</c>), declared at registration so health checks know it up front.</summary>
internal sealed record MtlsSourceDeclaration(string Name)
{
    public static void Declare(IServiceCollection services, string name)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(MtlsSourceDeclaration) && descriptor.ImplementationInstance is MtlsSourceDeclaration existing && existing.Name == name)
            {
                return;
            }
        }

        services.AddSingleton(new MtlsSourceDeclaration(name));
    }
}
