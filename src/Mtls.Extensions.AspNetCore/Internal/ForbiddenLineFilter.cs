using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The logger factory handed to the authentication handler's base class: drops its per-request Information line
/// "AuthenticationScheme: MutualTls was forbidden." (event 13 of <c>AuthenticationHandler</c>), which a peer with a
/// valid certificate could otherwise write at request rate. A refusal by an mTLS requirement is logged as event 304,
/// rate-limited with the rejection events, and counted in <c>mtls.authorization.denied</c>; ASP.NET Core's authorization
/// service still logs which requirements failed (category <c>Microsoft.AspNetCore.Authorization</c>).
/// </summary>
internal sealed class ForbiddenLineFilter(ILoggerFactory inner) : ILoggerFactory
{
    private const int AuthenticationSchemeForbidden = 13;

    public ILogger CreateLogger(string categoryName) => new Filtered(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The application's factory is not ours to dispose.
    public void Dispose()
    {
    }

    private sealed class Filtered(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == AuthenticationSchemeForbidden && string.Equals(eventId.Name, "AuthenticationSchemeForbidden", StringComparison.Ordinal))
            {
                return;
            }

            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
