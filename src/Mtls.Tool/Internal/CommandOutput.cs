using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mtls.Tool.Internal;

/// <summary>Writes a command's result as text for people or, with <c>--json</c>, as one JSON object for scripts.</summary>
internal sealed class CommandOutput(bool json, TextWriter stdout)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public bool Json { get; } = json;

    public int Write(int exitCode, JsonObject result, string text)
    {
        if (Json)
        {
            result["exitCode"] = exitCode;
            stdout.WriteLine(result.ToJsonString(Indented));
        }
        else
        {
            stdout.Write(text);
        }

        return exitCode;
    }
}
