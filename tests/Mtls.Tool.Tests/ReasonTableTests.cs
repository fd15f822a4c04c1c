using System.Reflection;
using Mtls.Extensions;
using Mtls.Extensions.AspNetCore;
using Mtls.Extensions.Http;
using Mtls.Tool.Internal;

namespace Mtls.Tool.Tests;

/// <summary>docs/reason-codes.md is the one table: it must cover every reason code and event id, and name only keys that exist.</summary>
public sealed class ReasonTableTests
{
    private static readonly ReasonTable Table = ReasonTable.Load();

    [Fact]
    public void ReasonTable_EveryRejectionReason_HasARowWithMeaningCausesAndFixes()
    {
        var missing = Enum.GetNames<MtlsRejectionReason>().Where(n => !Table.Reasons.ContainsKey(n)).ToList();
        var unknown = Table.Reasons.Keys.Where(k => !Enum.TryParse<MtlsRejectionReason>(k, out _)).ToList();

        Assert.True(missing.Count == 0, "docs/reason-codes.md has no row for: " + string.Join(", ", missing));
        Assert.True(unknown.Count == 0, "docs/reason-codes.md has rows for no reason code: " + string.Join(", ", unknown));
        Assert.All(Table.Reasons.Values.Where(r => r.Code != "None"), r => Assert.False(string.IsNullOrWhiteSpace(r.Causes + r.Fixes) || r.Fixes == "-", r.Code));
    }

    [Fact]
    public void ReasonTable_EveryLogEventId_HasARowWithItsEventName()
    {
        var ids = new[] { typeof(PeerCertificateValidator), typeof(MutualTlsOptions), typeof(MtlsHttpClientOptions), typeof(Microsoft.Extensions.DependencyInjection.MtlsSpiffeServiceCollectionExtensions) }
            .SelectMany(t => t.Assembly.GetTypes().Where(type => type.Name == "EventIds"))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
            .ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);

        Assert.True(ids.Count >= 30, $"found only {ids.Count} event ids");
        Assert.All(ids, pair =>
        {
            Assert.True(Table.Events.TryGetValue(pair.Key, out var row), $"docs/reason-codes.md has no row for event {pair.Key} {pair.Value}");
            Assert.Equal(pair.Value, row!.Name);
        });
        Assert.All(Table.Events.Keys, id => Assert.True(ids.ContainsKey(id), $"docs/reason-codes.md lists event {id}, which no package logs"));
    }

    [Fact]
    public void ReasonTable_RelaxedByKeys_AreOptionsOfTheServerOrClient()
    {
        var keys = typeof(MutualTlsOptions).GetProperties().Select(p => p.Name)
            .Concat(typeof(MtlsHttpClientOptions).GetProperties().Select(p => p.Name))
            .Concat(typeof(MtlsValidationOptions).GetProperties().Select(p => $"{nameof(MutualTlsOptions.Validation)}:{p.Name}"))
            .ToHashSet();

        Assert.All(Table.Reasons.Values.SelectMany(r => r.RelaxedBy.Select(k => (r.Code, Key: k))), x => Assert.True(keys.Contains(x.Key), $"{x.Code}: '{x.Key}' is not an option"));
    }

    [Fact]
    public void ReasonTable_EmbeddedCopy_IsTheDocsPage()
    {
        var page = File.ReadAllText(Path.Combine(MtlsToolProcess.RepositoryRoot(), "docs", "reason-codes.md"));

        Assert.Equal(ReasonTable.Parse(page).Reasons.Count, Table.Reasons.Count);
        Assert.Equal(ReasonTable.Parse(page).Events.Count, Table.Events.Count);
    }
}
