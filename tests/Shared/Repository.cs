using System.Text.Json;
using System.Text.RegularExpressions;

namespace LoginEtl.Testing;

/// <summary>The files of the repository these tests run from, and what the provisioned dashboard queries.</summary>
static partial class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathTo(string relativePath) => Path.Combine(Root, relativePath);

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoginEtl.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("LoginEtl.sln not found above the test binaries");
    }

    /// <summary>Every (panel title, PromQL expression) of the provisioned dashboard.</summary>
    public static List<(string Panel, string Expression)> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(PathTo("deploy/grafana/dashboards/login-etl.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()
                .Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)))
            .ToList();
    }

    /// <summary>The metric names the provisioned dashboard queries.</summary>
    public static List<string> DashboardMetrics() =>
        DashboardQueries().SelectMany(q => MetricName().Matches(LabelsAndGrouping().Replace(q.Expression, "")).Select(m => m.Value))
            .Distinct().ToList();

    [GeneratedRegex(@"\b(loginetl|messaging|dotnet|db_client)_[a-z_]+\b")]
    private static partial Regex MetricName();

    // Label matchers ({name="value"}) and grouping clauses (by (label, ...)), which name labels, not metrics.
    [GeneratedRegex(@"\{[^}]*\}|\b(by|without)\s*\([^)]*\)")]
    private static partial Regex LabelsAndGrouping();
}
