using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Every ```csharp block of the repository README and of every page under docs/ compiles as written in a fresh <c>dotnet new web</c> project that
/// references the packages: the web SDK's implicit usings plus the block's own <c>using</c> lines, nothing else. Compiled
/// in memory with Roslyn against the assemblies this test runs with (offline, a few seconds).
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    // The implicit global usings of Microsoft.NET.Sdk.Web.
    private const string WebSdkGlobalUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Net.Http.Json;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        global using global::Microsoft.AspNetCore.Builder;
        global using global::Microsoft.AspNetCore.Hosting;
        global using global::Microsoft.AspNetCore.Http;
        global using global::Microsoft.AspNetCore.Routing;
        global using global::Microsoft.Extensions.Configuration;
        global using global::Microsoft.Extensions.DependencyInjection;
        global using global::Microsoft.Extensions.Hosting;
        global using global::Microsoft.Extensions.Logging;
        """;

    [Fact]
    public void Readme_EveryCsharpBlock_Compiles()
    {
        var failures = CompileBlocks(Path.Combine(RepositoryRoot(), "README.md"), out var count);
        Assert.True(count >= 8, $"found only {count} C# blocks in README.md");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Docs_EveryCsharpBlock_Compiles()
    {
        var docs = Path.Combine(RepositoryRoot(), "docs");
        var failures = new List<string>();
        if (Directory.Exists(docs))
        {
            foreach (var file in Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                failures.AddRange(CompileBlocks(file, out _));
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static List<string> CompileBlocks(string path, out int count)
    {
        var text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        var name = Path.GetRelativePath(RepositoryRoot(), path);
        var blocks = CSharpBlock().Matches(text).Select(m => (Line: text[..m.Index].Count(c => c == '\n') + 1, Code: m.Groups[1].Value)).ToArray();
        count = blocks.Length;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(file => MetadataReference.CreateFromFile(file))
            .ToArray();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var failures = new List<string>();

        foreach (var (line, code) in blocks)
        {
            var tree = CSharpSyntaxTree.ParseText(code, parse, path: $"{name}:{line}");
            var isProgram = tree.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any();
            var trees = new List<SyntaxTree> { tree, CSharpSyntaxTree.ParseText(WebSdkGlobalUsings, parse) };
            if (!isProgram)
            {
                // A test block: the app under test is the user's, with its top-level Program.
                trees.Add(CSharpSyntaxTree.ParseText("public partial class Program { }", parse));
            }

            var compilation = CSharpCompilation.Create(
                $"SnippetBlock{line}",
                trees,
                references,
                new CSharpCompilationOptions(isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            using var output = new MemoryStream();
            var result = compilation.Emit(output);
            failures.AddRange(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => $"{name} block at line {line}: {d}"));
        }

        return failures;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mtls.Extensions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Mtls.Extensions.sln was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
