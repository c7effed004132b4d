using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using YamlDotNet.RepresentationModel;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// What can be proven here without a Docker engine or a cluster: the YAML parses, the collector wires what it
/// names, every setting compose and the manifests pass exists in the service, and the probes match the service.
/// </summary>
public partial class DeploymentConsistencyTests
{
    internal static readonly string Root = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoginEtl.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("LoginEtl.sln not found above the test binaries");
    }

    static List<YamlMappingNode> Documents(string relativePath)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, relativePath));
        yaml.Load(reader);
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    static IEnumerable<string> Keys(YamlNode node) => ((YamlMappingNode)node).Children.Keys.Select(k => ((YamlScalarNode)k).Value!);

    public static TheoryData<string> YamlFiles()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Root, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                     .Select(f => Path.GetRelativePath(Root, f))
                     .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".git" or "node_modules"))
                     .Order())
            files.Add(file);
        return files;
    }

    [Theory]
    [MemberData(nameof(YamlFiles))]
    public void Every_yaml_file_parses_into_mappings(string file)
    {
        Assert.NotEmpty(Documents(file));
    }

    [Fact]
    public void The_collector_pipelines_name_only_components_it_defines()
    {
        var config = Documents("otel-collector.yaml").Single();
        var pipelines = (YamlMappingNode)At(config, "service", "pipelines");

        Assert.Equal(["logs", "metrics", "traces"], Keys(pipelines).Order());
        foreach (var (_, pipeline) in pipelines.Children)
        {
            foreach (var kind in new[] { "receivers", "processors", "exporters" })
            {
                var defined = Keys(At(config, kind)).ToHashSet();
                var named = ((YamlSequenceNode)At(pipeline, kind)).Select(n => ((YamlScalarNode)n).Value!).ToList();
                Assert.NotEmpty(named);
                Assert.All(named, name => Assert.Contains(name, defined));
            }
        }
    }

    // Section__Key for every settable option of the service, as the .NET configuration chain reads them.
    static HashSet<string> ServiceSettings()
    {
        var sections = new Dictionary<string, Type>
        {
            [SqsOptions.Section] = typeof(SqsOptions), [MaskingOptions.Section] = typeof(MaskingOptions),
            [WriterOptions.Section] = typeof(WriterOptions), [RetryOptions.Section] = typeof(RetryOptions),
            [HealthOptions.Section] = typeof(HealthOptions), [OutboxOptions.Section] = typeof(OutboxOptions),
        };
        var settings = sections.SelectMany(s => s.Value.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).Select(p => $"{s.Key}__{p.Name}")).ToHashSet();
        settings.Add($"ConnectionStrings__{LoginDatabaseRegistration.ConnectionStringName}");
        return settings;
    }

    static bool IsKnown(string name, HashSet<string> settings) =>
        settings.Contains(name)
        || name.StartsWith("Masking__RetiredKeys__", StringComparison.Ordinal)
        || name.StartsWith("Logging__", StringComparison.Ordinal)
        || ExternalVariable().IsMatch(name);

    [GeneratedRegex("^(OTEL_[A-Z0-9_]+|AWS_[A-Z0-9_]+|DOTNET_[A-Z0-9_]+|MASSTRANSIT_USAGE_TELEMETRY)$")]
    private static partial Regex ExternalVariable();

    [Fact]
    public void Every_setting_that_compose_and_the_manifests_pass_exists_in_the_service()
    {
        var compose = Documents("docker-compose.yml").Single();
        var passed = Keys(At(compose, "x-login-etl", "environment")).ToList();
        passed.AddRange(Keys(At(Documents("deploy/k8s/configmap.yaml").Single(), "data")));
        passed.AddRange(Keys(At(Documents("deploy/k8s/secret.yaml").Single(), "stringData")));
        passed.AddRange(EnvLine().Matches(File.ReadAllText(Path.Combine(Root, "Dockerfile"))).Select(m => m.Groups[1].Value));
        var settings = ServiceSettings();

        Assert.Contains("Masking__Key", passed);
        Assert.Contains("ConnectionStrings__LoginDb", passed);
        Assert.All(passed, name => Assert.True(IsKnown(name, settings), $"{name} is not a setting of the service"));
    }

    [GeneratedRegex(@"^\s*(?:ENV\s+)?([A-Za-z][A-Za-z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex EnvLine();

    [Fact]
    public void The_deployment_probes_the_paths_and_port_the_service_serves()
    {
        var deployment = Documents("deploy/k8s/deployment.yaml").Single();
        var pod = At(deployment, "spec", "template", "spec");
        var container = (YamlMappingNode)((YamlSequenceNode)At(pod, "containers")).Single();
        var port = (YamlMappingNode)((YamlSequenceNode)At(container, "ports")).Single();
        var healthPort = ((YamlScalarNode)At(Documents("deploy/k8s/configmap.yaml").Single(), "data", "Health__Port")).Value;

        Assert.Equal("/health/live", ((YamlScalarNode)At(container, "livenessProbe", "httpGet", "path")).Value);
        Assert.Equal("/health/ready", ((YamlScalarNode)At(container, "readinessProbe", "httpGet", "path")).Value);
        Assert.Equal("http", ((YamlScalarNode)At(container, "readinessProbe", "httpGet", "port")).Value);
        Assert.Equal("http", ((YamlScalarNode)At(port, "name")).Value);
        Assert.Equal(healthPort, ((YamlScalarNode)At(port, "containerPort")).Value);
        Assert.True(int.Parse(((YamlScalarNode)At(pod, "terminationGracePeriodSeconds")).Value!) > new SqsOptions().WaitTimeSeconds + 10,
            "the grace period leaves a graceful stop time to finish its long poll and what it holds");
        var trigger = (YamlMappingNode)((YamlSequenceNode)At(Documents("deploy/k8s/keda.yaml")[1], "spec", "triggers")).Single();
        Assert.Equal("aws-sqs-queue", ((YamlScalarNode)At(trigger, "type")).Value);
    }

    /// <summary>The metric names the provisioned dashboard queries.</summary>
    public static List<string> DashboardMetrics()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy/grafana/dashboards/login-etl.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(LabelsAndGrouping().Replace(t.GetProperty("expr").GetString()!, "")).Select(m => m.Value))
            .Distinct().ToList();
    }

    [GeneratedRegex(@"\b(loginetl|messaging|dotnet|db_client)_[a-z_]+\b")]
    private static partial Regex MetricName();

    // Label matchers ({name="value"}) and grouping clauses (by (label, ...)), which name labels, not metrics.
    [GeneratedRegex(@"\{[^}]*\}|\b(by|without)\s*\([^)]*\)")]
    private static partial Regex LabelsAndGrouping();
}
