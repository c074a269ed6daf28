using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Api.Json;

namespace Talm.Bundle.Tests;

/// <summary>
/// bundle/ is exactly what deploy/ makes, and keeps the rules of a bundle: every owned CRD present
/// and described, every image the operator runs in relatedImages by digest, the operator's RBAC
/// and Deployment those of deploy/operator.
/// </summary>
public sealed partial class BundleTests
{
    private static readonly string Root = FindRoot();
    private static readonly string BundleDir = Path.Combine(Root, "bundle");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Talm.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("no Talm.slnx above the test binaries");
    }

    private static JsonObject Yaml(string path) => YamlJson.ParseAll(File.ReadAllText(path)).OfType<JsonObject>().Single();

    private static List<JsonObject> Docs(string path) => [.. YamlJson.ParseAll(File.ReadAllText(path)).OfType<JsonObject>()];

    private static JsonObject Csv => Yaml(Path.Combine(BundleDir, BundleGenerator.CsvFile));

    private static string CommittedVersion => Csv["spec"]!["version"]!.GetValue<string>();

    [Fact]
    public void The_committed_bundle_is_what_deploy_makes()
    {
        var differences = BundleFiles.Differences(BundleDir, BundleGenerator.Generate(Root, CommittedVersion));
        Assert.True(differences.Count == 0, "bundle/ differs from what deploy/ makes (run scripts/bundle.sh): " + string.Join("; ", differences));
    }

    [Fact]
    public void A_change_in_deploy_shows_as_a_difference()
    {
        var copy = Directory.CreateTempSubdirectory("talm-bundle-").FullName;
        try
        {
            CopyDirectory(Path.Combine(Root, "deploy"), Path.Combine(copy, "deploy"));
            var role = Path.Combine(copy, "deploy", "operator", "cluster_role.yaml");
            File.WriteAllText(role, File.ReadAllText(role) + "- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get]\n");
            var differences = BundleFiles.Differences(BundleDir, BundleGenerator.Generate(copy, CommittedVersion));
            Assert.Equal([$"{BundleGenerator.CsvFile}: differs"], differences);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Every_owned_CRD_is_shipped_unchanged_and_described()
    {
        var owned = Csv["spec"]!["customresourcedefinitions"]!["owned"]!.AsArray().OfType<JsonObject>().ToList();
        var crdFiles = Directory.GetFiles(Path.Combine(Root, "deploy", "crds"), "*.yaml");
        Assert.Equal(crdFiles.Length, owned.Count);
        foreach (var file in crdFiles)
        {
            var crd = Yaml(file);
            var name = crd["metadata"]!["name"]!.GetValue<string>();
            var shipped = Directory.GetFiles(Path.Combine(BundleDir, "manifests"), "*.yaml").Select(Docs).SelectMany(d => d)
                .Single(d => d["kind"]!.GetValue<string>() == "CustomResourceDefinition" && d["metadata"]!["name"]!.GetValue<string>() == name);
            Assert.True(JsonNode.DeepEquals(crd, shipped), $"{name}: the bundle's copy differs from {file}");

            var entry = owned.Single(o => o["name"]!.GetValue<string>() == name);
            var storage = crd["spec"]!["versions"]!.AsArray().Single(v => v!["storage"]!.GetValue<bool>())!;
            Assert.Equal(storage["name"]!.GetValue<string>(), entry["version"]!.GetValue<string>());
            Assert.Equal(crd["spec"]!["names"]!["kind"]!.GetValue<string>(), entry["kind"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(entry["displayName"]?.GetValue<string>()));
            Assert.False(string.IsNullOrWhiteSpace(entry["description"]?.GetValue<string>()));
            var schema = storage["schema"]!["openAPIV3Schema"]!["properties"]!;
            foreach (var (part, key) in new[] { ("spec", "specDescriptors"), ("status", "statusDescriptors") })
            {
                var fields = (schema[part]?["properties"] as JsonObject ?? []).Select(p => p.Key).Order(StringComparer.Ordinal);
                var described = entry[key]!.AsArray().Select(d => d!["path"]!.GetValue<string>()).Order(StringComparer.Ordinal);
                Assert.Equal(fields, described);
            }
        }
    }

    [Fact]
    public void Every_image_the_operator_runs_is_a_related_image_by_digest()
    {
        var spec = Csv["spec"]!;
        var related = spec["relatedImages"]!.AsArray().Select(r => r!["image"]!.GetValue<string>()).ToList();
        var used = new List<string>();
        foreach (var deployment in spec["install"]!["spec"]!["deployments"]!.AsArray())
        {
            foreach (var container in deployment!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().OfType<JsonObject>())
            {
                used.Add(container["image"]!.GetValue<string>());
                used.AddRange((container["env"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(e => e["name"]!.GetValue<string>().EndsWith("_IMG", StringComparison.Ordinal))
                    .Select(e => e["value"]!.GetValue<string>()));
            }
        }
        Assert.Equal(3, used.Count); // operator, RECOVERY_IMG, PRECACHE_IMG
        foreach (var image in used) Assert.Contains(image, related);
        foreach (var image in related) Assert.Matches(QualifiedByDigest(), image);
        Assert.Equal(used[0], Csv["metadata"]!["annotations"]!["containerImage"]!.GetValue<string>());
        Assert.Equal(["talm-operator", "recovery", "precache"], spec["relatedImages"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void The_RBAC_and_Deployment_are_those_of_deploy_operator()
    {
        var install = Csv["spec"]!["install"]!["spec"]!;
        var operatorDir = Path.Combine(Root, "deploy", "operator");
        var clusterRole = Docs(Path.Combine(operatorDir, "cluster_role.yaml")).Single(d => d["kind"]!.GetValue<string>() == "ClusterRole");
        var leaderRole = Docs(Path.Combine(operatorDir, "leader_election_role.yaml")).Single(d => d["kind"]!.GetValue<string>() == "Role");
        var deployment = Yaml(Path.Combine(operatorDir, "deployment.yaml"));
        var account = deployment["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>();

        var cluster = install["clusterPermissions"]!.AsArray().Single()!;
        Assert.Equal(account, cluster["serviceAccountName"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(clusterRole["rules"], cluster["rules"]), "clusterPermissions differ from deploy/operator/cluster_role.yaml");
        var ns = install["permissions"]!.AsArray().Single()!;
        Assert.Equal(account, ns["serviceAccountName"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(leaderRole["rules"], ns["rules"]), "permissions differ from deploy/operator/leader_election_role.yaml");
        var shipped = install["deployments"]!.AsArray().Single()!;
        Assert.Equal(deployment["metadata"]!["name"]!.GetValue<string>(), shipped["name"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(deployment["spec"], shipped["spec"]), "the CSV's Deployment differs from deploy/operator/deployment.yaml");

        // The metrics filter's reviews are among the operator's rights.
        var rules = cluster["rules"]!.AsArray().Select(r => r!["resources"]![0]!.GetValue<string>()).ToList();
        Assert.Contains("tokenreviews", rules);
        Assert.Contains("subjectaccessreviews", rules);
    }

    [Fact]
    public void Install_modes_annotations_and_image_labels_are_OLMs()
    {
        var csv = Csv;
        var modes = csv["spec"]!["installModes"]!.AsArray().ToDictionary(m => m!["type"]!.GetValue<string>(), m => m!["supported"]!.GetValue<bool>());
        Assert.Equal(new Dictionary<string, bool>
        {
            ["OwnNamespace"] = false, ["SingleNamespace"] = false, ["MultiNamespace"] = false, ["AllNamespaces"] = true,
        }, modes);
        var annotations = csv["metadata"]!["annotations"]!;
        foreach (var feature in new[] { "disconnected", "proxy-aware", "fips-compliant" })
            Assert.Equal("true", annotations[$"features.operators.openshift.io/{feature}"]!.GetValue<string>());
        var infrastructure = JsonNode.Parse(annotations["operators.openshift.io/infrastructure-features"]!.GetValue<string>())!.AsArray();
        Assert.Equal(["disconnected", "proxy-aware", "fips"], infrastructure.Select(f => f!.GetValue<string>()));
        var examples = JsonNode.Parse(annotations["alm-examples"]!.GetValue<string>())!.AsArray();
        Assert.Equal("ClusterGroupUpgrade", examples[0]!["kind"]!.GetValue<string>());
        Assert.Equal($"{CsvMetadata.Package}.v{CommittedVersion}", csv["metadata"]!["name"]!.GetValue<string>());

        var metadata = Yaml(Path.Combine(BundleDir, "metadata", "annotations.yaml"))["annotations"]!.AsObject();
        Assert.Equal("registry+v1", metadata["operators.operatorframework.io.bundle.mediatype.v1"]!.GetValue<string>());
        Assert.Equal(CsvMetadata.Package, metadata["operators.operatorframework.io.bundle.package.v1"]!.GetValue<string>());
        var dockerfile = File.ReadAllText(Path.Combine(BundleDir, "bundle.Dockerfile"));
        foreach (var (key, value) in metadata) Assert.Contains($"LABEL {key}={value!.GetValue<string>()}\n", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY manifests /manifests/", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_resource_of_deploy_is_in_the_bundle_or_left_out_for_a_stated_reason()
    {
        var kustomization = Yaml(Path.Combine(Root, "deploy", "kustomization.yaml"));
        var shipped = Directory.GetFiles(Path.Combine(BundleDir, "manifests"), "*.yaml").SelectMany(Docs)
            .Select(d => (d["kind"]!.GetValue<string>(), d["metadata"]!["name"]!.GetValue<string>())).ToHashSet();
        var csv = Csv;
        var install = csv["spec"]!["install"]!["spec"]!;
        var account = install["deployments"]![0]!["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>();
        foreach (var file in kustomization["resources"]!.AsArray().Select(r => r!.GetValue<string>()))
        {
            foreach (var doc in Docs(Path.Combine(Root, "deploy", file)))
            {
                var kind = doc["kind"]!.GetValue<string>();
                var name = doc["metadata"]!["name"]!.GetValue<string>();
                var placed = shipped.Contains((kind, name))
                    || BundleGenerator.LeftOut.ContainsKey(kind)
                    || (kind == "Namespace" && csv["metadata"]!["annotations"]!["operatorframework.io/suggested-namespace"]!.GetValue<string>() == name)
                    || (kind == "ServiceAccount" && name == account)
                    || (kind == "Deployment" && install["deployments"]![0]!["name"]!.GetValue<string>() == name)
                    || (kind is "ClusterRole" or "Role" or "ClusterRoleBinding" or "RoleBinding" && name.StartsWith("talm-operator", StringComparison.Ordinal)
                        && !shipped.Contains((kind, name)) && BindsOperator(Root, name, account));
                Assert.True(placed, $"{file}: {kind} {name} is neither in the bundle nor left out for a stated reason");
            }
        }
    }

    [Fact]
    public void Deploy_names_every_image_by_a_qualified_digest()
    {
        var deployment = File.ReadAllText(Path.Combine(Root, "deploy", "operator", "deployment.yaml"));
        Assert.DoesNotContain(":latest", deployment, StringComparison.Ordinal);
        var images = ImageLine().Matches(deployment).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, images.Count);
        foreach (var image in images) Assert.Matches(QualifiedByDigest(), image);
    }

    private static bool BindsOperator(string root, string name, string account) =>
        Directory.GetFiles(Path.Combine(root, "deploy", "operator"), "*.yaml").SelectMany(Docs)
            .Where(d => d["kind"]!.GetValue<string>() is "ClusterRoleBinding" or "RoleBinding")
            .Any(b => (b["metadata"]!["name"]!.GetValue<string>() == name || b["roleRef"]!["name"]!.GetValue<string>() == name)
                && b["subjects"]!.AsArray().Any(s => s!["kind"]!.GetValue<string>() == "ServiceAccount" && s["name"]!.GetValue<string>() == account));

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    [GeneratedRegex(@"^[a-z0-9.-]+\.[a-z]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")]
    private static partial Regex QualifiedByDigest();

    [GeneratedRegex(@"(?m)^\s+(?:image|value): ((?:[a-z0-9.-]+/)+[a-z0-9._-]+[@:]\S+)$")]
    private static partial Regex ImageLine();
}
