namespace Mtls.Extensions.AspNetCore.TestApp;

/// <summary>Marker for WebApplicationFactory.</summary>
public sealed class TestAppMarker;

/// <summary>A claim as the test app returns it.</summary>
public sealed record ClaimDto(string Type, string Value);
