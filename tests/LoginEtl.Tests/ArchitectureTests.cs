using System.Text.RegularExpressions;
using LoginEtl.Testing;

namespace LoginEtl.Tests;

/// <summary>
/// The folders of the service depend one way: a folder's namespace is its name, and no folder reaches, through any
/// chain of imports, a folder that reaches it back. Read from the source files, as a reader of the code would.
/// </summary>
public partial class ArchitectureTests
{
    static readonly string Source = Repository.PathTo(Path.Combine("src", "LoginEtl.Worker"));

    static IEnumerable<(string Folder, string File, string Text)> SourceFiles() =>
        Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Source, file))
            .Where(file => !file.StartsWith("bin", StringComparison.Ordinal) && !file.StartsWith("obj", StringComparison.Ordinal))
            .Select(file => (file.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) ? file.Split(Path.DirectorySeparatorChar)[0] : "",
                file, File.ReadAllText(Path.Combine(Source, file))));

    /// <summary>Folder to the folders it names, by using directive or qualified name.</summary>
    static Dictionary<string, HashSet<string>> Imports()
    {
        var imports = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (folder, _, text) in SourceFiles())
        {
            var named = imports.TryGetValue(folder, out var set) ? set : imports[folder] = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match reference in Reference().Matches(text))
            {
                if (reference.Groups[1].Value != folder)
                    named.Add(reference.Groups[1].Value);
            }
        }

        return imports;
    }

    [GeneratedRegex(@"\bLoginEtl\.Worker\.([A-Z]\w*)\b")]
    private static partial Regex Reference();

    [Fact]
    public void Every_file_is_in_the_namespace_of_its_folder()
    {
        foreach (var (folder, file, text) in SourceFiles())
        {
            var expected = folder.Length == 0 ? "LoginEtl.Worker" : $"LoginEtl.Worker.{folder}";
            if (file.Contains("Migrations", StringComparison.Ordinal))
                expected = "LoginEtl.Worker.Persistence.Migrations";
            Assert.True(text.Contains($"namespace {expected};", StringComparison.Ordinal) || !text.Contains("namespace ", StringComparison.Ordinal),
                $"{file} is not in namespace {expected}");
        }
    }

    [Fact]
    public void No_folder_reaches_back_a_folder_that_reaches_it()
    {
        var imports = Imports();
        foreach (var start in imports.Keys)
        {
            // Every folder reachable from start; start itself among them is a cycle, reported with its path.
            var paths = new Dictionary<string, string> { [start] = start };
            var pending = new Queue<string>([start]);
            while (pending.TryDequeue(out var folder))
            {
                foreach (var next in imports.GetValueOrDefault(folder) ?? [])
                {
                    Assert.False(next == start, $"a cycle between folders: {paths[folder]} -> {next}");
                    if (paths.TryAdd(next, $"{paths[folder]} -> {next}"))
                        pending.Enqueue(next);
                }
            }
        }
    }

    [Fact]
    public void The_login_rules_and_the_consumer_know_nothing_of_the_transport_or_the_host()
    {
        var imports = Imports();

        Assert.Equal(["Contracts"], imports["Logins"]);
        Assert.DoesNotContain("Consumers", imports["Masking"]);
        Assert.DoesNotContain("Sqs", imports["Consumers"]);
        Assert.DoesNotContain("Aws", imports["Consumers"]);
        Assert.All(new[] { "Persistence", "Sqs", "Hosting", "Commands" }, folder => Assert.DoesNotContain(folder, imports["Outbox"]));
        Assert.All(imports.Where(i => i.Key != "Commands" && i.Key != "").Select(i => i.Value), named => Assert.DoesNotContain("Commands", named));
    }
}
