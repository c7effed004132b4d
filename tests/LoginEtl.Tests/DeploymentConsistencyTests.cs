using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using LoginEtl.Testing;
using YamlDotNet.RepresentationModel;

namespace LoginEtl.Tests;

/// <summary>
/// What can be proven here without a Docker engine or a cluster: the YAML parses, the collector wires what it
/// names, every setting compose, the manifests and the Development profile pass exists in the service, the probes
/// and the scrape match the service, and the dashboard's panels keep to one unit each.
/// </summary>
public partial class DeploymentConsistencyTests
{
    static List<YamlMappingNode> Documents(string relativePath)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Repository.Root, relativePath));
        yaml.Load(reader);
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    static IEnumerable<string> Keys(YamlNode node) => ((YamlMappingNode)node).Children.Keys.Select(k => ((YamlScalarNode)k).Value!);

    public static TheoryData<string> YamlFiles()
    {
        var files = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Repository.Root, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                     .Select(f => Path.GetRelativePath(Repository.Root, f))
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
    public void The_collector_pipelines_use_every_component_it_defines_behind_a_memory_limiter()
    {
        var config = Documents("otel-collector.yaml").Single();
        var pipelines = (YamlMappingNode)At(config, "service", "pipelines");

        Assert.Equal(["logs", "traces"], Keys(pipelines).Order());
        foreach (var kind in new[] { "receivers", "processors", "exporters" })
        {
            var defined = Keys(At(config, kind)).ToHashSet();
            var used = new HashSet<string>();
            foreach (var (name, pipeline) in pipelines.Children)
            {
                var named = ((YamlSequenceNode)At(pipeline, kind)).Select(n => ((YamlScalarNode)n).Value!).ToList();
                Assert.NotEmpty(named);
                Assert.All(named, component => Assert.Contains(component, defined));
                if (kind == "processors")
                    Assert.True(named[0] == "memory_limiter", $"the {name} pipeline starts with memory_limiter");
                used.UnionWith(named);
            }

            Assert.Equal(defined.Order(), used.Order());
        }
    }

    [Fact]
    public void Metrics_reach_Prometheus_one_way_only()
    {
        // The service's metrics are scraped at /metrics: where it also sends OTLP to the collector (compose, the
        // Development profile), it sends no metrics there, and the collector has neither a metrics pipeline nor a
        // Prometheus exporter that nothing scrapes.
        var collector = Documents("otel-collector.yaml").Single();
        Assert.DoesNotContain("metrics", Keys(At(collector, "service", "pipelines")));
        Assert.DoesNotContain(Keys(At(collector, "exporters")), e => e.StartsWith("prometheus", StringComparison.Ordinal));
        var compose = Documents("docker-compose.yml").Single();
        Assert.Equal("prometheus", ((YamlScalarNode)At(compose, "x-login-etl", "environment", "OTEL_METRICS_EXPORTER")).Value);
        Assert.Equal("prometheus", DevelopmentProfile().GetProperty("environmentVariables").GetProperty("OTEL_METRICS_EXPORTER").GetString());

        var scrape = (YamlMappingNode)((YamlSequenceNode)At(Documents("deploy/prometheus/prometheus.yml").Single(), "scrape_configs")).Single();
        var target = ((YamlScalarNode)((YamlSequenceNode)At(((YamlSequenceNode)At(scrape, "static_configs"))[0], "targets")).Single()).Value;
        Assert.Equal($"login-etl:{ImageHttpPort()}", target);
        Assert.Equal("/metrics", ((YamlScalarNode)At(scrape, "metrics_path")).Value);
    }

    static JsonElement DevelopmentProfile()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "src/LoginEtl.Worker/Properties/launchSettings.json")));
        return settings.RootElement.GetProperty("profiles").GetProperty("Development").Clone();
    }

    // The port the image's ASP.NET Core listens on (ASPNETCORE_HTTP_PORTS), where the probes and /metrics are.
    static string ImageHttpPort() =>
        EnvLine().Matches(File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile"))).Single(m => m.Groups[1].Value == "ASPNETCORE_HTTP_PORTS").Groups[2].Value;

    [Fact]
    public void The_compose_stack_publishes_on_loopback_only_and_serves_the_Development_profile()
    {
        var compose = Documents("docker-compose.yml").Single();
        var services = (YamlMappingNode)At(compose, "services");
        var published = services.Children
            .Where(s => ((YamlMappingNode)s.Value).Children.ContainsKey(new YamlScalarNode("ports")))
            .ToDictionary(s => ((YamlScalarNode)s.Key).Value!, s => ((YamlSequenceNode)At(s.Value, "ports")).Select(p => ((YamlScalarNode)p).Value!).ToList());

        Assert.All(published.SelectMany(s => s.Value), mapping => Assert.StartsWith("127.0.0.1:", mapping, StringComparison.Ordinal));
        Assert.Equal("Viewer", ((YamlScalarNode)At(services, "grafana", "environment", "GF_AUTH_ANONYMOUS_ORG_ROLE")).Value);
        Assert.StartsWith("jaegertracing/jaeger:2.", ((YamlScalarNode)At(services, "jaeger", "image")).Value, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{ImageHttpPort()}:{ImageHttpPort()}", published["login-etl"]);

        // `dotnet run --launch-profile Development` reaches PostgreSQL, LocalStack and the collector where compose publishes them.
        var profile = DevelopmentProfile();
        Assert.Equal("Development", profile.GetProperty("environmentVariables").GetProperty("DOTNET_ENVIRONMENT").GetString());
        using var development = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "src/LoginEtl.Worker/appsettings.Development.json")));
        var database = new Npgsql.NpgsqlConnectionStringBuilder(development.RootElement.GetProperty("ConnectionStrings").GetProperty("LoginDb").GetString());
        var sqs = new Uri(development.RootElement.GetProperty("Sqs").GetProperty("ServiceUrl").GetString()!);
        var otlp = new Uri(profile.GetProperty("environmentVariables").GetProperty("OTEL_EXPORTER_OTLP_ENDPOINT").GetString()!);
        Assert.Contains($"127.0.0.1:{database.Port}:5432", published["postgres"]);
        Assert.Contains($"127.0.0.1:{sqs.Port}:4566", published["localstack"]);
        Assert.Contains($"127.0.0.1:{otlp.Port}:4317", published["otel-collector"]);
        var composeDatabase = new Npgsql.NpgsqlConnectionStringBuilder(((YamlScalarNode)At(compose, "x-login-etl", "environment", "ConnectionStrings__LoginDb")).Value);
        Assert.Equal((composeDatabase.Database, composeDatabase.Username, composeDatabase.Password), (database.Database, database.Username, database.Password));

        // Grafana's $__rate_interval is four of the data source's scrape intervals: the same as Prometheus's.
        var datasource = (YamlMappingNode)((YamlSequenceNode)At(Documents("deploy/grafana/provisioning/datasources/datasources.yaml").Single(), "datasources"))
            .Single(d => ((YamlScalarNode)At(d, "type")).Value == "prometheus");
        Assert.Equal(((YamlScalarNode)At(Documents("deploy/prometheus/prometheus.yml").Single(), "global", "scrape_interval")).Value,
            ((YamlScalarNode)At(datasource, "jsonData", "timeInterval")).Value);
    }

    [Fact]
    public void The_compose_database_counts_as_healthy_only_once_it_answers_over_TCP()
    {
        // The postgres image runs its init scripts on a temporary server that listens on the Unix socket only: a
        // pg_isready without -h would let migrate start against a server that is about to stop.
        var services = At(Documents("docker-compose.yml").Single(), "services");
        var check = string.Join(' ', ((YamlSequenceNode)At(services, "postgres", "healthcheck", "test")).Select(n => ((YamlScalarNode)n).Value));
        Assert.Contains("pg_isready -h 127.0.0.1 ", check, StringComparison.Ordinal);
        Assert.Equal("service_healthy", ((YamlScalarNode)At(services, "migrate", "depends_on", "postgres", "condition")).Value);
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

    [GeneratedRegex("^(OTEL_[A-Z0-9_]+|AWS_[A-Z0-9_]+|DOTNET_[A-Za-z0-9_]+|ASPNETCORE_[A-Z0-9_]+|MASSTRANSIT_USAGE_TELEMETRY)$")]
    private static partial Regex ExternalVariable();

    // KEY=value lines of a kustomize env file (comments and blank lines skipped).
    static IEnumerable<string> EnvFileKeys(string relativePath) =>
        File.ReadAllLines(Path.Combine(Repository.Root, relativePath))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]);

    // Section__Key names of a JSON settings file.
    static IEnumerable<string> JsonSettingKeys(JsonElement element, string prefix = "") =>
        element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().SelectMany(p => JsonSettingKeys(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}__{p.Name}"))
            : [prefix];

    [Fact]
    public void Every_setting_that_compose_the_manifests_and_the_Development_profile_pass_exists_in_the_service()
    {
        var compose = Documents("docker-compose.yml").Single();
        var passed = Keys(At(compose, "x-login-etl", "environment")).ToList();
        passed.AddRange(EnvFileKeys("deploy/k8s/settings.env"));
        passed.AddRange(EnvFileKeys("deploy/k8s/secret.env.example"));
        passed.AddRange(EnvLine().Matches(File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile"))).Select(m => m.Groups[1].Value));
        passed.AddRange(DevelopmentProfile().GetProperty("environmentVariables").EnumerateObject().Select(p => p.Name));
        using (var development = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "src/LoginEtl.Worker/appsettings.Development.json"))))
            passed.AddRange(JsonSettingKeys(development.RootElement));
        var settings = ServiceSettings();

        Assert.Contains("Masking__Key", passed);
        Assert.Contains("ConnectionStrings__LoginDb", passed);
        Assert.Contains("Sqs__ServiceUrl", passed);
        Assert.All(passed, name => Assert.True(IsKnown(name, settings), $"{name} is not a setting of the service"));
    }

    [GeneratedRegex(@"^\s*(?:ENV\s+)?([A-Za-z][A-Za-z0-9_]*)=(\S*)", RegexOptions.Multiline)]
    private static partial Regex EnvLine();

    [Fact]
    public void The_benchmarks_etl_process_runs_with_the_collector_settings_of_the_image()
    {
        var image = EnvLine().Matches(File.ReadAllText(Path.Combine(Repository.Root, "Dockerfile")))
            .Where(m => m.Groups[1].Value.StartsWith("DOTNET_GC", StringComparison.Ordinal))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.TrimEnd('\\'));

        Assert.NotEmpty(image);
        Assert.Equal(image.OrderBy(s => s.Key), LoginEtl.Bench.EtlProcess.ImageGcSettings.OrderBy(s => s.Key));
    }

    [Fact]
    public void The_deployment_probes_the_paths_and_port_the_service_serves()
    {
        var deployment = Documents("deploy/k8s/deployment.yaml").Single();
        var pod = At(deployment, "spec", "template", "spec");
        var container = (YamlMappingNode)((YamlSequenceNode)At(pod, "containers")).Single();
        var port = (YamlMappingNode)((YamlSequenceNode)At(container, "ports")).Single();

        Assert.Equal("/health/live", ((YamlScalarNode)At(container, "livenessProbe", "httpGet", "path")).Value);
        Assert.Equal("/health/live", ((YamlScalarNode)At(container, "startupProbe", "httpGet", "path")).Value);
        Assert.Equal("/health/ready", ((YamlScalarNode)At(container, "readinessProbe", "httpGet", "path")).Value);
        Assert.Equal("http", ((YamlScalarNode)At(container, "readinessProbe", "httpGet", "port")).Value);
        Assert.Equal("http", ((YamlScalarNode)At(port, "name")).Value);
        Assert.Equal(ImageHttpPort(), ((YamlScalarNode)At(port, "containerPort")).Value);
        Assert.Equal(ImageHttpPort(), ((YamlScalarNode)At(deployment, "spec", "template", "metadata", "annotations", "prometheus.io/port")).Value);
        Assert.DoesNotContain("Health__Port", EnvFileKeys("deploy/k8s/settings.env"));
        Assert.True(int.Parse(((YamlScalarNode)At(pod, "terminationGracePeriodSeconds")).Value!) > new SqsOptions().WaitTimeSeconds + 10,
            "the grace period leaves a graceful stop time to finish its long poll and what it holds");
        var trigger = (YamlMappingNode)((YamlSequenceNode)At(Documents("deploy/k8s/keda.yaml")[1], "spec", "triggers")).Single();
        Assert.Equal("aws-sqs-queue", ((YamlScalarNode)At(trigger, "type")).Value);
    }

    [Fact]
    public void Every_dashboard_panel_shows_one_unit()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy/grafana/dashboards/login-etl.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = panel.GetProperty("title").GetString();
            var unit = panel.GetProperty("fieldConfig").GetProperty("defaults").GetProperty("unit").GetString();
            Assert.Empty(panel.GetProperty("fieldConfig").GetProperty("overrides").EnumerateArray());
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expression = target.GetProperty("expr").GetString()!;
                var unitOfExpression = UnitOf(Selector().Replace(expression, m => m.Value[..m.Value.IndexOf('{', StringComparison.Ordinal)]));
                Assert.True(unitOfExpression == unit, $"panel '{title}' is in {unit}, but {expression} is in {unitOfExpression}");
                if (expression.Contains("rate(", StringComparison.Ordinal))
                    Assert.Contains("[$__rate_interval]", expression, StringComparison.Ordinal);
            }
        }

        // A share for time spent per second (CPU, GC pauses); seconds for durations; bytes; a per-second rate of a
        // counter; a plain number for counts, gauges and one rate over another.
        static string UnitOf(string expression) =>
            expression.Contains("_seconds_total[", StringComparison.Ordinal) && expression.Contains("rate(", StringComparison.Ordinal) ? "percentunit"
            : expression.Contains("_seconds", StringComparison.Ordinal) ? "s"
            : expression.Contains("_bytes", StringComparison.Ordinal) ? "bytes"
            : expression.Split("rate(").Length > 2 && expression.Contains(" / ", StringComparison.Ordinal) ? "short"
            : expression.Contains("_total[", StringComparison.Ordinal) && expression.Contains("rate(", StringComparison.Ordinal) ? "ops"
            : "short";
    }

    [Fact]
    public void Every_dashboard_query_reads_the_chosen_data_source_namespace_and_pods()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy/grafana/dashboards/login-etl.json")));
        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.Clone());
        Assert.Equal("datasource", variables["datasource"].GetProperty("type").GetString());
        Assert.Equal("prometheus", variables["datasource"].GetProperty("query").GetString());
        foreach (var name in new[] { "namespace", "pod" })
        {
            // "All" is any value, or none: the compose stack's series carry neither label.
            Assert.True(variables[name].GetProperty("includeAll").GetBoolean(), name);
            Assert.Equal(".*", variables[name].GetProperty("allValue").GetString());
        }

        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expression = target.GetProperty("expr").GetString()!;
                var selectors = Selector().Matches(expression);
                Assert.NotEmpty(selectors);
                Assert.All(selectors, selector => Assert.True(
                    selector.Value.Contains("job=\"login-etl\", namespace=~\"$namespace\", pod=~\"$pod\"", StringComparison.Ordinal),
                    $"panel '{title}': {selector.Value} is scoped to the job, $namespace and $pod"));
            }
        }
    }

    // A metric's selector: its name and label matchers.
    [GeneratedRegex(@"\b[a-z_]+\{[^}]*\}")]
    private static partial Regex Selector();
}
