using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using LoginEtl.Testing;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

using static LoginEtl.Tests.YamlPaths;

namespace LoginEtl.Tests;

/// <summary>
/// Runs where promtool is installed; elsewhere it is reported as skipped with the reason, except in CI (<c>CI</c>
/// set), where a missing promtool fails the test instead of hiding the rules' tests.
/// </summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (OperationsTool.Find("promtool") is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = "promtool is not on PATH: the alerting rules cannot be checked on this machine (apt-get install prometheus, or run ./scripts/test.sh)";
    }
}

/// <summary>
/// The alerting rules (deploy/prometheus/alerts.yml): promtool accepts them and passes each alert's tests, every
/// alert is labelled, annotated and documented, the PrometheusRule component carries the same groups, and the
/// metrics they read are ones the service exports.
/// </summary>
public partial class AlertingRulesTests
{
    const string RulesFile = "deploy/prometheus/alerts.yml";
    const string TestsDirectory = "deploy/prometheus/tests";
    const string PrometheusRuleFile = "deploy/k8s/components/alerts/prometheusrule.yaml";
    static readonly HashSet<string> Severities = ["critical", "warning"];

    static YamlMappingNode Load(string relativePath)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Repository.PathTo(relativePath));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    static IEnumerable<YamlMappingNode> Items(YamlNode node, params string[] path) =>
        (Get(node, path) as YamlSequenceNode ?? []).Cast<YamlMappingNode>();

    static string Yaml(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    static List<YamlMappingNode> Alerts() =>
        Items(Load(RulesFile), "groups").SelectMany(g => Items(g, "rules")).Where(r => Text(r, "alert") is not null).ToList();

    static List<string> TestFiles() =>
        Directory.GetFiles(Repository.PathTo(TestsDirectory), "*.yml").Order(StringComparer.Ordinal).ToList();

    [PromtoolFact]
    public async Task Promtool_accepts_the_rules_and_every_alert_s_tests_pass()
    {
        var promtool = OperationsTool.Require("promtool");

        var check = await OperationsTool.RunAsync(promtool, ["check", "rules", Repository.PathTo(RulesFile)]);
        Assert.True(check.ExitCode == 0, $"promtool check rules {RulesFile}:\n{check.Output}");
        Assert.Contains($"SUCCESS: {Alerts().Count} rules found", check.Output, StringComparison.Ordinal);

        var test = await OperationsTool.RunAsync(promtool, ["test", "rules", .. TestFiles()]);
        Assert.True(test.ExitCode == 0, $"promtool test rules {TestsDirectory}/*.yml:\n{test.Output}");
        Assert.Equal(TestFiles().Count, Regex.Count(test.Output, @"^\s+SUCCESS\s*$", RegexOptions.Multiline));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_runbook_section_and_a_test_that_sees_it_fire_and_stay_quiet()
    {
        var runbooks = File.ReadAllLines(Repository.PathTo("docs/runbooks.md"));
        var sections = runbooks.Where(l => l.StartsWith("## ", StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToHashSet();
        var alerts = Alerts();
        Assert.NotEmpty(alerts);

        foreach (var alert in alerts)
        {
            var name = Text(alert, "alert")!;
            Assert.True(Severities.Contains(Text(alert, "labels", "severity") ?? ""), $"{name}: severity is one of {string.Join(", ", Severities)}");
            Assert.All(new[] { "summary", "description" }, key => Assert.False(string.IsNullOrWhiteSpace(Text(alert, "annotations", key)), $"{name}: {key}"));
            Assert.EndsWith($"/docs/runbooks.md#{name.ToLowerInvariant()}", Text(alert, "annotations", "runbook_url"), StringComparison.Ordinal);
            Assert.True(sections.Contains(name), $"docs/runbooks.md has a section \"## {name}\"");

            var testFile = Path.Combine(Repository.PathTo(TestsDirectory), $"{name}.yml");
            Assert.True(File.Exists(testFile), $"{name} has its tests in {TestsDirectory}/{name}.yml");
            var tests = Load(Path.GetRelativePath(Repository.Root, testFile));
            Assert.Equal(["../alerts.yml"], (Get(tests, "rule_files") as YamlSequenceNode ?? []).Select(n => ((YamlScalarNode)n).Value));
            var cases = Items(tests, "tests").SelectMany(t => Items(t, "alert_rule_test")).Where(c => Text(c, "alertname") == name).ToList();
            Assert.True(cases.Any(c => Items(c, "exp_alerts").Any()), $"{name}: a test case in which it fires");
            Assert.True(cases.Any(c => !Items(c, "exp_alerts").Any()), $"{name}: a test case in which it stays quiet");
        }

        // No runbook section or test file is left behind by an alert that was renamed or removed.
        var names = alerts.Select(a => Text(a, "alert")!).ToHashSet();
        Assert.All(sections.Where(s => s.StartsWith("LoginEtl", StringComparison.Ordinal)), s => Assert.Contains(s, names));
        Assert.All(TestFiles(), f => Assert.Contains(Path.GetFileNameWithoutExtension(f), names));
    }

    [Fact]
    public void The_PrometheusRule_component_carries_the_groups_of_the_rules_file()
    {
        var rule = Load(PrometheusRuleFile);
        Assert.Equal("monitoring.coreos.com/v1", Text(rule, "apiVersion"));
        Assert.Equal("PrometheusRule", Text(rule, "kind"));
        Assert.True(Yaml(Get(Load(RulesFile), "groups")!) == Yaml(Get(rule, "spec", "groups")!),
            $"{PrometheusRuleFile} differs from {RulesFile}: run scripts/prometheus-rule.sh");
    }

    [Fact]
    public void The_rules_read_only_metrics_the_service_exports()
    {
        var exported = ExportedMetricNames();
        Assert.Contains("loginetl_messages_received_total", exported);
        Assert.Contains("loginetl_messages_lag_seconds_bucket", exported);
        Assert.Contains("messaging_client_operation_duration_seconds_count", exported);

        var read = Alerts().SelectMany(a => MetricName().Matches(LabelMatchers().Replace(Text(a, "expr")!, "")).Select(m => m.Value)).ToHashSet();
        Assert.NotEmpty(read);
        Assert.All(read, name => Assert.True(exported.Contains(name), $"the rules read {name}, which the service does not export"));
    }

    /// <summary>
    /// The names the Prometheus exporter gives the instruments of the service's meter and the runtime's: dots become
    /// underscores, a unit of seconds or bytes becomes a suffix, counters end in _total, histograms have _bucket, _count and _sum.
    /// </summary>
    static HashSet<string> ExportedMetricNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name is not (LoginEtlTelemetry.Name or "System.Runtime"))
                return;
            var name = instrument.Name.Replace('.', '_') + instrument.Unit switch { "s" => "_seconds", "By" => "_bytes", _ => "" };
            var type = instrument.GetType().GetGenericTypeDefinition();
            if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
                name += "_total";
            lock (names)
            {
                if (type == typeof(Histogram<>))
                    names.UnionWith([name + "_bucket", name + "_count", name + "_sum"]);
                else
                    names.Add(name);
            }
        };
        listener.Start();
        using var telemetry = new LoginEtlTelemetry(services.GetRequiredService<IMeterFactory>());
        return names;
    }

    [GeneratedRegex(@"\b(loginetl|dotnet|messaging)_[a-z_]+\b")]
    private static partial Regex MetricName();

    // Label matchers ({name="value"}) and grouping clauses, which name labels, not metrics.
    [GeneratedRegex(@"\{[^}]*\}|\b(by|without|on|ignoring)\s*\([^)]*\)")]
    private static partial Regex LabelMatchers();
}
