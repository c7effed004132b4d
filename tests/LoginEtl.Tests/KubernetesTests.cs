using System.Text;
using LoginEtl.Testing;
using Npgsql;
using YamlDotNet.RepresentationModel;

using static LoginEtl.Tests.YamlPaths;

namespace LoginEtl.Tests;

/// <summary>Runs only where kubectl is installed; elsewhere it is reported as skipped, with the reason.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (OperationsTool.Find("kubectl") is null)
            Skip = "kubectl is not on PATH: the rendered Kubernetes objects cannot be checked on this machine";
    }
}

/// <summary>The objects <c>kubectl kustomize deploy/k8s</c> renders, checked as the API server and an operator would.</summary>
public class KubernetesTests
{
    static readonly string Base = Path.Combine(Repository.Root, "deploy", "k8s");

    // Volume types Pod Security "restricted" allows.
    static readonly HashSet<string> RestrictedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    static async Task<List<YamlMappingNode>> RenderAsync(string directory)
    {
        var result = await OperationsTool.RunAsync(OperationsTool.Require("kubectl"), ["kustomize", directory]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {directory}: {result.Output}");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(result.Output));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    // A kustomization over the base, in a directory of its own beside other files (a secret.env), rendered and removed:
    // what an operator's overlay is. "BASE" in the text is the base's path relative to the overlay.
    static async Task<List<YamlMappingNode>> RenderOverlayAsync(string kustomization, params (string Name, string Text)[] files)
    {
        var overlay = Directory.CreateTempSubdirectory("loginetl-overlay-");
        try
        {
            var relative = Path.GetRelativePath(overlay.FullName, Base);
            await File.WriteAllTextAsync(Path.Combine(overlay.FullName, "kustomization.yaml"), kustomization.Replace("BASE", relative, StringComparison.Ordinal));
            foreach (var (name, text) in files)
                await File.WriteAllTextAsync(Path.Combine(overlay.FullName, name), text);
            return await RenderAsync(overlay.FullName);
        }
        finally
        {
            overlay.Delete(recursive: true);
        }
    }

    // A kustomization over the base that only changes the image's tag, as a release pipeline would.
    static Task<List<YamlMappingNode>> RenderWithImageAsync(string tag) => RenderOverlayAsync($"""
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - BASE
        images:
          - name: registry.example.com/login-etl
            newTag: "{tag}"
        """);

    // The base with some of its components, as an overlay lists them.
    static Task<List<YamlMappingNode>> RenderWithComponentsAsync(params string[] components) => RenderOverlayAsync($"""
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - BASE
        components:
        {string.Join('\n', components.Select(c => $"  - BASE/components/{c}"))}
        """);

    // The node written out as YAML, to compare whole subtrees.
    static string Yaml(YamlNode node)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    static IEnumerable<YamlNode> Items(YamlNode node, params string[] path) => Get(node, path) as YamlSequenceNode ?? [];

    static YamlMappingNode Single(List<YamlMappingNode> objects, string kind) => Assert.Single(objects, o => Text(o, "kind") == kind);

    static IEnumerable<YamlMappingNode> Containers(YamlNode podSpec) =>
        Items(podSpec, "initContainers").Concat(Items(podSpec, "containers")).Cast<YamlMappingNode>();

    [KubectlFact]
    public async Task The_deployment_migrates_in_an_init_container_and_leaves_the_replica_count_to_KEDA()
    {
        var objects = await RenderAsync(Base);
        var deployment = Single(objects, "Deployment");
        var pod = Get(deployment, "spec", "template", "spec")!;
        var migrate = (YamlMappingNode)Assert.Single(Items(pod, "initContainers"));
        var service = (YamlMappingNode)Assert.Single(Items(pod, "containers"));

        Assert.DoesNotContain(objects, o => Text(o, "kind") is "Job" or "CronJob" or "Pod");
        Assert.Equal(["migrate"], Items(migrate, "args").Select(a => ((YamlScalarNode)a).Value));
        Assert.Equal(["run"], Items(service, "args").Select(a => ((YamlScalarNode)a).Value));
        Assert.Equal(Text(service, "image"), Text(migrate, "image"));
        Assert.Equal(Yaml(Get(service, "envFrom")!), Yaml(Get(migrate, "envFrom")!));

        Assert.Null(Get(deployment, "spec", "replicas"));
        var scaler = Single(objects, "ScaledObject");
        Assert.Equal(Text(deployment, "metadata", "name"), Text(scaler, "spec", "scaleTargetRef", "name"));
        Assert.Null(Get(scaler, "spec", "cooldownPeriod"));
        Assert.True(int.Parse(Text(scaler, "spec", "minReplicaCount")!) >= 1);
        Assert.NotNull(Get(scaler, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds"));
        Assert.NotEmpty(Items(scaler, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "policies"));
    }

    [KubectlFact]
    public async Task A_new_image_renders_objects_that_apply_over_the_previous_ones()
    {
        var first = await RenderWithImageAsync("1.0.0");
        var second = await RenderWithImageAsync("1.1.0");

        Assert.Equal(first.Select(Identity).Order(), second.Select(Identity).Order());
        // Only the pod template of the Deployment changes, and a Deployment's template may change: nothing immutable
        // (a Job's template, a selector) differs between the two.
        var changed = first.Zip(second).Where(pair => Yaml(pair.First) != Yaml(pair.Second)).Select(pair => Identity(pair.First)).ToList();
        Assert.Equal(["Deployment/login-etl"], changed);
        var before = Single(first, "Deployment");
        var after = Single(second, "Deployment");
        Assert.Equal(Yaml(Get(before, "spec", "selector")!), Yaml(Get(after, "spec", "selector")!));
        Assert.All(Containers(Get(after, "spec", "template", "spec")!), c => Assert.Equal("registry.example.com/login-etl:1.1.0", Text(c, "image")));
    }

    [KubectlFact]
    public async Task Every_container_meets_Pod_Security_restricted_and_mounts_no_API_token()
    {
        var objects = await RenderAsync(Base);
        var namespaceLabels = Get(Single(objects, "Namespace"), "metadata", "labels")!;
        Assert.Equal("restricted", Text(namespaceLabels, "pod-security.kubernetes.io/enforce"));
        Assert.Equal("false", Text(Single(objects, "ServiceAccount"), "automountServiceAccountToken"));

        var pod = Get(Single(objects, "Deployment"), "spec", "template", "spec")!;
        Assert.Equal("false", Text(pod, "automountServiceAccountToken"));
        Assert.All(new[] { "hostNetwork", "hostPID", "hostIPC" }, key => Assert.NotEqual("true", Text(pod, key)));
        Assert.All(Items(pod, "volumes").Cast<YamlMappingNode>(), volume =>
            Assert.Contains(volume.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Single(k => k != "name"), RestrictedVolumeTypes));

        var containers = Containers(pod).ToList();
        Assert.Equal(2, containers.Count);
        foreach (var container in containers)
        {
            var name = Text(container, "name");
            string? Effective(params string[] path) => Text(container, ["securityContext", .. path]) ?? Text(pod, ["securityContext", .. path]);

            Assert.True(Effective("runAsNonRoot") == "true", $"{name}: runAsNonRoot");
            Assert.NotEqual("0", Effective("runAsUser"));
            Assert.True(Effective("seccompProfile", "type") == "RuntimeDefault", $"{name}: seccompProfile RuntimeDefault");
            Assert.True(Text(container, "securityContext", "allowPrivilegeEscalation") == "false", $"{name}: allowPrivilegeEscalation false");
            Assert.NotEqual("true", Text(container, "securityContext", "privileged"));
            Assert.Contains("ALL", Items(container, "securityContext", "capabilities", "drop").Select(c => ((YamlScalarNode)c).Value));
            Assert.All(Items(container, "securityContext", "capabilities", "add"), c => Assert.Equal("NET_BIND_SERVICE", ((YamlScalarNode)c).Value));
            Assert.True(Text(container, "securityContext", "readOnlyRootFilesystem") == "true", $"{name}: read-only root file system");
            Assert.NotNull(Get(container, "resources", "limits", "memory"));
        }
    }

    [KubectlFact]
    public async Task Disruptions_and_traffic_are_bounded_as_a_replica_needs()
    {
        var objects = await RenderAsync(Base);
        var podLabels = Yaml(Get(Single(objects, "Deployment"), "spec", "template", "metadata", "labels")!);

        var budget = Single(objects, "PodDisruptionBudget");
        Assert.Equal("1", Text(budget, "spec", "maxUnavailable"));
        Assert.Null(Get(budget, "spec", "minAvailable"));
        Assert.Equal("AlwaysAllow", Text(budget, "spec", "unhealthyPodEvictionPolicy"));
        Assert.Equal(podLabels, Yaml(Get(budget, "spec", "selector", "matchLabels")!));

        var policy = Single(objects, "NetworkPolicy");
        Assert.Equal(podLabels, Yaml(Get(policy, "spec", "podSelector", "matchLabels")!));
        Assert.Equal(["Egress", "Ingress"], Items(policy, "spec", "policyTypes").Select(t => ((YamlScalarNode)t).Value!).Order());
        var ingress = (YamlMappingNode)Assert.Single(Items(policy, "spec", "ingress"));
        var from = (YamlMappingNode)Assert.Single(Items(ingress, "from"));
        Assert.Equal("monitoring", Text(from, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        Assert.Equal(["8080"], Items(ingress, "ports").Select(p => Text(p, "port")));
        var egressPorts = Items(policy, "spec", "egress").SelectMany(rule => Items(rule, "ports"))
            .Select(p => $"{Text(p, "protocol")}/{Text(p, "port")}").ToHashSet();
        Assert.Equal(["TCP/4317", "TCP/4318", "TCP/443", "TCP/53", "TCP/5432", "UDP/53"], egressPorts.Order(StringComparer.Ordinal));
    }

    [KubectlFact]
    public async Task Settings_and_secrets_are_generated_with_hashed_names_that_the_pods_reference()
    {
        var objects = await RenderAsync(Base);
        var configMap = Single(objects, "ConfigMap");
        var secret = Single(objects, "Secret");
        var configName = Text(configMap, "metadata", "name")!;
        var secretName = Text(secret, "metadata", "name")!;
        Assert.Matches("^login-etl-[a-z0-9]{10}$", configName);
        Assert.Matches("^login-etl-[a-z0-9]{10}$", secretName);

        foreach (var container in Containers(Get(Single(objects, "Deployment"), "spec", "template", "spec")!))
        {
            var references = Items(container, "envFrom").Select(e => Text(e, "configMapRef", "name") ?? Text(e, "secretRef", "name")).ToList();
            Assert.Equal([configName, secretName], references);
        }

        var settings = ((YamlMappingNode)Get(configMap, "data")!).Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!, v => ((YamlScalarNode)v.Value).Value!);
        var secrets = ((YamlMappingNode)Get(secret, "data")!).Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!,
            v => Encoding.UTF8.GetString(Convert.FromBase64String(((YamlScalarNode)v.Value).Value!)));
        Assert.Contains("Masking__Key", secrets.Keys);
        Assert.Contains("Masking__KeyId", secrets.Keys);
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("Masking__Key", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        var connection = new NpgsqlConnectionStringBuilder(secrets["ConnectionStrings__LoginDb"]);
        Assert.Equal(SslMode.VerifyFull, connection.SslMode);
        Assert.True(connection.MaxPoolSize * int.Parse(Text(Single(objects, "ScaledObject"), "spec", "maxReplicaCount")!) <= 200,
            "pool size x maxReplicaCount stays within a default max_connections of a few hundred");
    }

    static string Identity(YamlMappingNode o) => $"{Text(o, "kind")}/{Text(o, "metadata", "name")}";

    static Dictionary<string, string> EnvFile(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    static Dictionary<string, string> SecretData(YamlMappingNode secret) =>
        ((YamlMappingNode)Get(secret, "data")!).Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!,
            v => Encoding.UTF8.GetString(Convert.FromBase64String(((YamlScalarNode)v.Value).Value!)));

    static List<string?> SecretReferences(YamlMappingNode deployment) =>
        Containers(Get(deployment, "spec", "template", "spec")!).SelectMany(c => Items(c, "envFrom")).Select(e => Text(e, "secretRef", "name")).Where(n => n is not null).ToList();

    [KubectlFact]
    public async Task The_pods_spread_over_zones_and_nodes_without_ever_staying_unscheduled()
    {
        var template = Get(Single(await RenderAsync(Base), "Deployment"), "spec", "template")!;
        var podLabels = Yaml(Get(template, "metadata", "labels")!);
        var constraints = Items(Get(template, "spec")!, "topologySpreadConstraints").ToList();

        Assert.Equal(["kubernetes.io/hostname", "topology.kubernetes.io/zone"], constraints.Select(c => Text(c, "topologyKey")).Order(StringComparer.Ordinal));
        Assert.All(constraints, c =>
        {
            Assert.Equal("ScheduleAnyway", Text(c, "whenUnsatisfiable"));
            Assert.Equal("1", Text(c, "maxSkew"));
            Assert.Equal(podLabels, Yaml(Get(c, "labelSelector", "matchLabels")!));
        });
    }

    [KubectlFact]
    public async Task The_base_needs_no_operator_and_each_component_adds_only_its_own_objects()
    {
        var baseObjects = await RenderAsync(Base);
        var baseIdentities = baseObjects.Select(Identity).ToHashSet();
        Assert.DoesNotContain(baseObjects, o => Text(o, "apiVersion")!.Contains("monitoring.coreos.com", StringComparison.Ordinal)
            || Text(o, "apiVersion")!.Contains("external-secrets.io", StringComparison.Ordinal));

        var expected = new Dictionary<string, (string[] Added, string[] Removed)>
        {
            ["alerts"] = (["PrometheusRule/login-etl"], []),
            ["monitoring"] = (["ConfigMap/login-etl-dashboards", "PodMonitor/login-etl", "Role/prometheus-k8s", "RoleBinding/prometheus-k8s"], []),
            ["external-secret"] = (["ExternalSecret/login-etl"], [Identity(Single(baseObjects, "Secret"))]),
        };
        foreach (var (component, (added, removed)) in expected)
        {
            var objects = await RenderWithComponentsAsync(component);
            var identities = objects.Select(Identity).ToHashSet();
            Assert.Equal(added.Order(StringComparer.Ordinal), identities.Except(baseIdentities).Order(StringComparer.Ordinal));
            Assert.Equal(removed, baseIdentities.Except(identities));
            // A component's objects land in the base's namespace, as the base's own do.
            Assert.All(objects.Where(o => Text(o, "kind") != "Namespace"), o => Assert.Equal("login-etl", Text(o, "metadata", "namespace")));
        }
    }

    [KubectlFact]
    public async Task Rendering_the_base_with_every_component_twice_gives_the_same_objects_under_the_same_names()
    {
        var components = new[] { "alerts", "monitoring", "external-secret" };
        var first = await RenderWithComponentsAsync(components);
        var second = await RenderWithComponentsAsync(components);

        // So a second kubectl apply changes nothing and leaves nothing behind.
        Assert.Equal(first.Select(Yaml), second.Select(Yaml));
        Assert.Equal(first.Count, first.Select(o => $"{Text(o, "metadata", "namespace")}/{Identity(o)}").Distinct().Count());
        // Only the settings carry a hash of their content in the name (to roll the pods); the dashboards' ConfigMap
        // keeps one name, so a change replaces it instead of adding a second copy of the dashboard.
        Assert.Equal(["login-etl", "login-etl-sqs", "prometheus-k8s"],
            first.Where(o => Text(o, "kind") != "ConfigMap").Select(o => Text(o, "metadata", "name")!).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "login-etl-dashboards", Text(Single(await RenderAsync(Base), "ConfigMap"), "metadata", "name") }.Order(StringComparer.Ordinal),
            first.Where(o => Text(o, "kind") == "ConfigMap").Select(o => Text(o, "metadata", "name")).Order(StringComparer.Ordinal));
    }

    [KubectlFact]
    public async Task The_PodMonitor_scrapes_the_pods_metrics_port_under_the_job_the_alerts_select()
    {
        var objects = await RenderWithComponentsAsync("monitoring");
        var template = Get(Single(objects, "Deployment"), "spec", "template")!;
        var monitor = Single(objects, "PodMonitor");
        var endpoint = Assert.Single(Items(monitor, "spec", "podMetricsEndpoints"));

        Assert.Equal(Yaml(Get(template, "metadata", "labels")!), Yaml(Get(monitor, "spec", "selector", "matchLabels")!));
        var container = Assert.Single(Items(Get(template, "spec")!, "containers"));
        Assert.Contains(Text(endpoint, "port"), Items(container, "ports").Select(p => Text(p, "name")));
        Assert.Equal(Text(template, "metadata", "annotations", "prometheus.io/path"), Text(endpoint, "path"));
        var job = Text(template, "metadata", "labels", Text(monitor, "spec", "jobLabel")!);
        Assert.Equal("login-etl", job);
        Assert.Contains($"job=\"{job}\"", File.ReadAllText(Repository.PathTo("deploy/prometheus/alerts.yml")), StringComparison.Ordinal);

        // kube-prometheus's Prometheus may list the pods of this namespace.
        var binding = Single(objects, "RoleBinding");
        var subject = Assert.Single(Items(binding, "subjects"));
        Assert.Equal(("prometheus-k8s", "monitoring"), (Text(subject, "name"), Text(subject, "namespace")));
        Assert.Contains("pods", Items(Assert.Single(Items(Single(objects, "Role"), "rules")), "resources").Select(r => ((YamlScalarNode)r).Value));
    }

    [KubectlFact]
    public async Task The_dashboard_ConfigMap_carries_the_dashboard_file_for_Grafana_s_sidecar()
    {
        var objects = await RenderWithComponentsAsync("monitoring");
        var dashboards = Assert.Single(objects, o => Text(o, "kind") == "ConfigMap" && Text(o, "metadata", "labels", "grafana_dashboard") == "1");

        var files = Directory.GetFiles(Repository.PathTo("deploy/grafana/dashboards"), "*.json");
        var data = (YamlMappingNode)Get(dashboards, "data")!;
        Assert.Equal(files.Select(Path.GetFileName).Order(StringComparer.Ordinal), data.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order(StringComparer.Ordinal));
        foreach (var file in files)
            Assert.Equal(File.ReadAllText(file), Text(dashboards, "data", Path.GetFileName(file)));
    }

    [KubectlFact]
    public async Task With_External_Secrets_the_pods_read_the_Secret_it_writes_with_the_keys_of_the_example()
    {
        var objects = await RenderWithComponentsAsync("external-secret");
        var external = Single(objects, "ExternalSecret");

        Assert.DoesNotContain(objects, o => Text(o, "kind") == "Secret");
        var target = Text(external, "spec", "target", "name");
        Assert.All(SecretReferences(Single(objects, "Deployment")), name => Assert.Equal(target, name));
        Assert.Equal(2, SecretReferences(Single(objects, "Deployment")).Count);
        Assert.Equal(EnvFile(Path.Combine(Base, "secret.env.example")).Keys.Order(StringComparer.Ordinal),
            Items(external, "spec", "data").Select(d => Text(d, "secretKey")!).Order(StringComparer.Ordinal));
    }

    [KubectlFact]
    public async Task An_overlay_s_own_secret_env_replaces_the_placeholders_and_the_pods_follow_its_name()
    {
        var example = File.ReadAllText(Path.Combine(Base, "secret.env.example"));
        var real = example.Replace("REPLACE_WITH_THE_OUTPUT_OF_login-etl_keygen", "KKavrgPEtCtixeyQZC14ycDbMoVDXo2Idas+alOPEng=", StringComparison.Ordinal);
        var objects = await RenderOverlayAsync("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - BASE
            secretGenerator:
              - name: login-etl
                behavior: replace
                envs:
                  - secret.env
            """, ("secret.env", real));

        var secret = Single(objects, "Secret");
        Assert.Equal("KKavrgPEtCtixeyQZC14ycDbMoVDXo2Idas+alOPEng=", SecretData(secret)["Masking__Key"]);
        var baseSecret = Single(await RenderAsync(Base), "Secret");
        Assert.NotEqual(Text(baseSecret, "metadata", "name"), Text(secret, "metadata", "name"));
        Assert.All(SecretReferences(Single(objects, "Deployment")), name => Assert.Equal(Text(secret, "metadata", "name"), name));
    }
}
