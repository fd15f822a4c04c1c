using System.Globalization;

namespace Mtls.Tool.Internal;

/// <summary>One reason code's row of docs/reason-codes.md.</summary>
internal sealed record ReasonRow(string Code, string Meaning, string Causes, string Fixes, IReadOnlyList<string> RelaxedBy);

/// <summary>One log event's row of docs/reason-codes.md.</summary>
internal sealed record EventRow(int Id, string Name, string Meaning);

/// <summary>
/// docs/reason-codes.md, embedded and parsed: the one table of reason codes (meaning, causes, fixes, the keys that relax
/// them) and log event ids that both the documentation and <c>mtls explain</c>/<c>mtls verify</c> use.
/// </summary>
internal sealed class ReasonTable
{
    public const string ResourceName = "reason-codes.md";

    private ReasonTable(Dictionary<string, ReasonRow> reasons, Dictionary<int, EventRow> events)
    {
        Reasons = reasons;
        Events = events;
    }

    public IReadOnlyDictionary<string, ReasonRow> Reasons { get; }

    public IReadOnlyDictionary<int, EventRow> Events { get; }

    public static ReasonTable Load()
    {
        using var stream = typeof(ReasonTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the tool.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Parses the page: the table under "## Reason codes" and the one under "## Log events".</summary>
    /// <exception cref="FormatException">A row has the wrong number of cells or a bad event id.</exception>
    public static ReasonTable Parse(string markdown)
    {
        var reasons = new Dictionary<string, ReasonRow>(StringComparer.OrdinalIgnoreCase);
        var events = new Dictionary<int, EventRow>();
        string? section = null;
        var lineNumber = 0;
        foreach (var raw in markdown.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
                continue;
            }

            if (!line.StartsWith('|') || line.StartsWith("|---", StringComparison.Ordinal))
            {
                continue;
            }

            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (section == "Reason codes" && cells[0] != "Code")
            {
                if (cells.Length != 5)
                {
                    throw new FormatException($"{ResourceName} line {lineNumber}: a reason code row needs 5 cells, found {cells.Length}.");
                }

                var relax = cells[4] == "-" ? [] : cells[4].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                reasons[cells[0]] = new ReasonRow(cells[0], cells[1], cells[2], cells[3], relax);
            }
            else if (section == "Log events" && cells[0] != "Event id")
            {
                if (cells.Length != 3 || !int.TryParse(cells[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    throw new FormatException($"{ResourceName} line {lineNumber}: a log event row needs 3 cells and a numeric id.");
                }

                events[id] = new EventRow(id, cells[1], cells[2]);
            }
        }

        return new ReasonTable(reasons, events);
    }
}
