using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mtls.Extensions;

namespace Mtls.Tool.Internal;

/// <summary>
/// <c>mtls explain</c>: a reason code, an event id, or a whole log line of the library, explained from docs/reason-codes.md.
/// </summary>
internal static partial class ExplainCommand
{
    public static int Run(string input, CommandOutput output)
    {
        var table = ReasonTable.Load();
        var trimmed = input.Trim();
        EventRow? eventRow = null;
        ReasonRow? reason = null;
        if (table.Reasons.TryGetValue(trimmed, out var direct) && !int.TryParse(trimmed, CultureInfo.InvariantCulture, out _))
        {
            reason = direct;
        }
        else if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            eventRow = table.Events.GetValueOrDefault(id);
        }
        else
        {
            (eventRow, reason) = FromLogLine(trimmed, table);
        }

        var json = new JsonObject { ["command"] = "explain", ["input"] = input };
        var text = new StringBuilder();
        if (eventRow is not null)
        {
            json["event"] = new JsonObject { ["id"] = eventRow.Id, ["name"] = eventRow.Name, ["meaning"] = eventRow.Meaning };
            text.Append(CultureInfo.InvariantCulture, $"event {eventRow.Id} {eventRow.Name}: {eventRow.Meaning}\n");
        }

        if (reason is not null)
        {
            json["reason"] = new JsonObject
            {
                ["code"] = reason.Code,
                ["meaning"] = reason.Meaning,
                ["likelyCauses"] = reason.Causes,
                ["fixes"] = reason.Fixes,
                ["relaxedBy"] = new JsonArray([.. reason.RelaxedBy.Select(k => (JsonNode)JsonValue.Create(k))]),
            };
            text.Append(CultureInfo.InvariantCulture, $"{reason.Code}: {reason.Meaning}\n");
            text.Append(CultureInfo.InvariantCulture, $"  likely causes: {reason.Causes}\n");
            text.Append(CultureInfo.InvariantCulture, $"  fixes:         {reason.Fixes}\n");
            text.Append(CultureInfo.InvariantCulture, $"  relaxed by:    {(reason.RelaxedBy.Count == 0 ? "no setting" : string.Join(", ", reason.RelaxedBy))}\n");
        }

        if (eventRow is null && reason is null)
        {
            var message = $"'{Shorten(trimmed)}' names no reason code, event id or library log line. Reason codes: {string.Join(", ", Enum.GetNames<MtlsRejectionReason>().Where(n => n != "None"))}.";
            json["error"] = message;
            text.Append(message).Append('\n');
            return output.Write(ExitCodes.Failed, json, text.ToString());
        }

        return output.Write(ExitCodes.Ok, json, text.ToString());
    }

    /// <summary>
    /// The event id (<c>[201]</c> in console logs, <c>"EventId":201</c> in JSON logs, or an event name) and the reason code
    /// (a whole word naming one; the one after "): " in the rejection template wins) of a library log line.
    /// </summary>
    private static (EventRow? Event, ReasonRow? Reason) FromLogLine(string line, ReasonTable table)
    {
        EventRow? found = null;
        foreach (Match match in EventIdPattern().Matches(line))
        {
            var value = match.Groups["bracket"].Success ? match.Groups["bracket"].Value : match.Groups["json"].Value;
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && table.Events.TryGetValue(id, out var row))
            {
                found = row;
                break;
            }
        }

        found ??= table.Events.Values.FirstOrDefault(e => Regex.IsMatch(line, $@"\b{e.Name}\b", RegexOptions.CultureInvariant));
        ReasonRow? reason = null;
        var bestIndex = int.MaxValue;
        foreach (Match word in WordPattern().Matches(line))
        {
            if (word.Value != "None" && table.Reasons.TryGetValue(word.Value, out var row) && row.Code == word.Value && word.Index < bestIndex)
            {
                reason = row;
                bestIndex = word.Index;
            }
        }

        return (found, reason);
    }

    private static string Shorten(string value) => value.Length <= 120 ? value : value[..120] + "…";

    [GeneratedRegex(@"\[(?<bracket>\d{3})\]|""?EventId""?\s*[:=]\s*(?:\{\s*""?Id""?\s*[:=]\s*)?(?<json>\d{3})", RegexOptions.CultureInvariant)]
    private static partial Regex EventIdPattern();

    [GeneratedRegex(@"\b[A-Z][A-Za-z]+\b", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
