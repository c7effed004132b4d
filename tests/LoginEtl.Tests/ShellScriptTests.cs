using LoginEtl.Testing;

namespace LoginEtl.Tests;

public class ShellScriptTests
{
    /// <summary>Every shell script of the repository: *.sh, and files that start with a shell's #! line.</summary>
    static List<string> ShellScripts() =>
        Directory.EnumerateFiles(Repository.Root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Repository.Root, f).Split(Path.DirectorySeparatorChar)
                .Any(part => part is "bin" or "obj" or ".git" or "node_modules" or "TestResults"))
            .Where(f => f.EndsWith(".sh", StringComparison.Ordinal) || StartsWithShellShebang(f))
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .Order()
            .ToList();

    static bool StartsWithShellShebang(string file)
    {
        using var reader = new StreamReader(file);
        var first = reader.ReadLine() ?? "";
        return first.StartsWith("#!", StringComparison.Ordinal) && (first.EndsWith("sh", StringComparison.Ordinal) || first.Contains("bash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_shell_script_passes_shellcheck()
    {
        var scripts = ShellScripts();
        Assert.Contains(Path.Combine("scripts", "services.sh"), scripts);
        Assert.Contains(Path.Combine(".ci", "run"), scripts);

        // Sourced files are followed (.shellcheckrc), so services.sh is also checked as the scripts use it.
        var result = await OperationsTool.RunAsync(OperationsTool.Require("shellcheck"), ["--format=gcc", .. scripts],
            workingDirectory: Repository.Root);

        Assert.True(result.ExitCode == 0 && result.Output.Length == 0, $"shellcheck on {string.Join(' ', scripts)}:\n{result.Output}");
    }
}
