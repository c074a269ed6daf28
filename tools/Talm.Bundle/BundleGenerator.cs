using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Talm.Api.Json;

namespace Talm.Bundle;

/// <summary>
/// The OLM bundle (registry+v1) made from deploy/: every resource of deploy/kustomization.yaml
/// finds its place. CRDs are owned; the Deployment, its ServiceAccount and the (Cluster)Roles bound
/// to that account become the CSV's install strategy; the Namespace becomes the suggested
/// namespace; other objects are shipped as they are (without a namespace: OLM installs them in the
/// operator's). NetworkPolicy is left out (OLM accepts it only from OpenShift 4.20) and documented.
/// </summary>
public static partial class BundleGenerator
{
    public const string CsvFile = "manifests/" + CsvMetadata.Package + ".clusterserviceversion.yaml";

    /// <summary>Kinds deploy/ holds that the bundle does not carry, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> LeftOut = new Dictionary<string, string>
    {
        ["NetworkPolicy"] = "OLM installs NetworkPolicy objects only from OpenShift 4.20: apply deploy/operator/network_policy.yaml",
    };

    /// <summary>Relative path -> content.</summary>
    public static SortedDictionary<string, string> Generate(string repoRoot, string version)
    {
        if (!SemVer().IsMatch(version)) throw new ArgumentException($"version \"{version}\" is not semantic (1.2.3 or 1.2.3-rc.1)", nameof(version));
        var deploy = Path.Combine(repoRoot, "deploy");
        var kustomization = (JsonObject)(YamlJson.Parse(File.ReadAllText(Path.Combine(deploy, "kustomization.yaml"))) ?? throw new InvalidDataException("deploy/kustomization.yaml is empty"));
        var resources = kustomization["resources"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var docs = resources.SelectMany(r => YamlJson.ParseAll(File.ReadAllText(Path.Combine(deploy, r))).OfType<JsonObject>()).ToList();

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var deployment = docs.Single(d => Kind(d) == "Deployment");
        var account = deployment["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>();
        var ns = Meta(deployment, "namespace");
        var namespaceDoc = docs.Single(d => Kind(d) == "Namespace");

        var clusterRules = new JsonArray();
        var rules = new JsonArray();
        var consumed = new HashSet<JsonObject>(ReferenceEqualityComparer.Instance) { deployment, namespaceDoc };
        foreach (var binding in docs.Where(d => Kind(d) is "ClusterRoleBinding" or "RoleBinding" && BindsAccount(d, account, ns)))
        {
            var roleKind = binding["roleRef"]!["kind"]!.GetValue<string>();
            var roleName = binding["roleRef"]!["name"]!.GetValue<string>();
            var role = docs.Single(d => Kind(d) == roleKind && Meta(d, "name") == roleName);
            var target = Kind(binding) == "ClusterRoleBinding" ? clusterRules : rules;
            foreach (var rule in role["rules"]!.AsArray()) target.Add(rule!.DeepClone());
            consumed.Add(binding);
            consumed.Add(role);
        }
        consumed.UnionWith(docs.Where(d => Kind(d) == "ServiceAccount" && Meta(d, "name") == account));

        var crds = docs.Where(d => Kind(d) == "CustomResourceDefinition").ToList();
        foreach (var crd in crds)
        {
            files["manifests/" + Meta(crd, "name")!.Split('.', 2)[1] + "_" + crd["spec"]!["names"]!["plural"]!.GetValue<string>() + ".yaml"] =
                YamlWriter.Write(crd);
            consumed.Add(crd);
        }
        foreach (var doc in docs.Where(d => !consumed.Contains(d) && !LeftOut.ContainsKey(Kind(d))))
        {
            var copy = (JsonObject)doc.DeepClone();
            (copy["metadata"] as JsonObject)?.Remove("namespace");
            var apiVersion = copy["apiVersion"]!.GetValue<string>().Replace('/', '_');
            files[$"manifests/{Meta(copy, "name")}_{apiVersion}_{Kind(copy).ToLowerInvariant()}.yaml"] = YamlWriter.Write(copy);
        }

        var samples = Directory.GetFiles(Path.Combine(deploy, "samples"), "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(f => YamlJson.ParseAll(File.ReadAllText(f)).OfType<JsonObject>()).ToList();
        files[CsvFile] = YamlWriter.Write(Csv(version, deployment, account, namespaceDoc, crds, clusterRules, rules, samples));
        files["metadata/annotations.yaml"] = YamlWriter.Write(new JsonObject { ["annotations"] = Annotations() });
        files["bundle.Dockerfile"] = Dockerfile();
        return files;
    }

    private static JsonObject Csv(string version, JsonObject deployment, string account, JsonObject namespaceDoc, List<JsonObject> crds,
        JsonArray clusterRules, JsonArray rules, List<JsonObject> samples)
    {
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray()[0]!.AsObject();
        var annotations = new JsonObject
        {
            ["alm-examples"] = JsonSerializer.Serialize(samples.Select(s =>
            {
                var copy = (JsonObject)s.DeepClone();
                (copy["metadata"] as JsonObject)?.Remove("namespace");
                return copy;
            }).ToList(), PrettyJson),
            ["capabilities"] = "Basic Install",
            ["containerImage"] = container["image"]!.GetValue<string>(),
            ["description"] = CsvMetadata.Summary,
        };
        foreach (var (key, value) in CsvMetadata.Features) annotations[key] = value;
        var suggested = (JsonObject)namespaceDoc.DeepClone();
        annotations["operatorframework.io/suggested-namespace"] = Meta(namespaceDoc, "name");
        annotations["operatorframework.io/suggested-namespace-template"] = JsonSerializer.Serialize(suggested, PrettyJson);

        var deploymentSpec = (JsonObject)deployment["spec"]!.DeepClone();
        return new JsonObject
        {
            ["apiVersion"] = "operators.coreos.com/v1alpha1",
            ["kind"] = "ClusterServiceVersion",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{CsvMetadata.Package}.v{version}",
                ["namespace"] = "placeholder",
                ["annotations"] = annotations,
                ["labels"] = new JsonObject
                {
                    ["operatorframework.io/arch.amd64"] = "supported",
                    ["operatorframework.io/os.linux"] = "supported",
                },
            },
            ["spec"] = new JsonObject
            {
                ["displayName"] = CsvMetadata.DisplayName,
                ["description"] = CsvMetadata.Description,
                ["version"] = version,
                ["maturity"] = CsvMetadata.Channel,
                ["provider"] = new JsonObject { ["name"] = CsvMetadata.Provider },
                ["keywords"] = new JsonArray("upgrade", "backup", "recovery", "single-node", "talm", "acm"),
                ["minKubeVersion"] = "1.25.0",
                ["installModes"] = new JsonArray(
                    InstallMode("OwnNamespace", false), InstallMode("SingleNamespace", false),
                    InstallMode("MultiNamespace", false), InstallMode("AllNamespaces", true)),
                ["customresourcedefinitions"] = new JsonObject
                {
                    ["owned"] = new JsonArray(crds.Select(c => (JsonNode)Owned(c)).ToArray()),
                },
                ["install"] = new JsonObject
                {
                    ["strategy"] = "deployment",
                    ["spec"] = new JsonObject
                    {
                        ["clusterPermissions"] = new JsonArray(new JsonObject { ["serviceAccountName"] = account, ["rules"] = clusterRules }),
                        ["permissions"] = new JsonArray(new JsonObject { ["serviceAccountName"] = account, ["rules"] = rules }),
                        ["deployments"] = new JsonArray(new JsonObject
                        {
                            ["name"] = Meta(deployment, "name"),
                            ["label"] = deployment["metadata"]!["labels"]?.DeepClone(),
                            ["spec"] = deploymentSpec,
                        }),
                    },
                },
                ["relatedImages"] = new JsonArray(RelatedImages(container).Select(i =>
                    (JsonNode)new JsonObject { ["name"] = i.Name, ["image"] = i.Image }).ToArray()),
            },
        };
    }

    /// <summary>The container's image and every *_IMG variable: what a disconnected hub must mirror.</summary>
    public static IEnumerable<(string Name, string Image)> RelatedImages(JsonObject container)
    {
        yield return (container["name"]!.GetValue<string>() == "manager" ? "talm-operator" : container["name"]!.GetValue<string>(),
            container["image"]!.GetValue<string>());
        foreach (var env in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = env["name"]!.GetValue<string>();
            if (name.EndsWith("_IMG", StringComparison.Ordinal) && env["value"] is JsonValue value)
                yield return (name[..^4].ToLowerInvariant().Replace('_', '-'), value.GetValue<string>());
        }
    }

    private static JsonObject Owned(JsonObject crd)
    {
        var spec = crd["spec"]!;
        var version = spec["versions"]!.AsArray().OfType<JsonObject>().Single(v => v["storage"]?.GetValue<bool>() == true);
        var schema = version["schema"]!["openAPIV3Schema"]!;
        var kind = spec["names"]!["kind"]!.GetValue<string>();
        var owned = new JsonObject
        {
            ["name"] = Meta(crd, "name"),
            ["version"] = version["name"]!.GetValue<string>(),
            ["kind"] = kind,
            ["displayName"] = Words(kind),
            ["description"] = schema["description"]?.GetValue<string>() ?? kind,
        };
        owned["specDescriptors"] = Descriptors(schema["properties"]?["spec"], spec: true);
        owned["statusDescriptors"] = Descriptors(schema["properties"]?["status"], spec: false);
        return owned;
    }

    /// <summary>One descriptor per top-level field, with the CRD's description, so the console's form and details pages label them.</summary>
    private static JsonArray Descriptors(JsonNode? schema, bool spec)
    {
        var result = new JsonArray();
        foreach (var (name, field) in (schema?["properties"] as JsonObject ?? []).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var descriptor = new JsonObject { ["path"] = name, ["displayName"] = Words(name) };
            if (field?["description"]?.GetValue<string>() is { Length: > 0 } description) descriptor["description"] = description;
            var type = field?["type"]?.GetValue<string>();
            string? ui = spec
                ? type switch
                {
                    "boolean" => "urn:alm:descriptor:com.tectonic.ui:booleanSwitch",
                    "integer" or "number" => "urn:alm:descriptor:com.tectonic.ui:number",
                    _ => "urn:alm:descriptor:com.tectonic.ui:text",
                }
                : name == "conditions" ? "urn:alm:descriptor:io.kubernetes.conditions" : null;
            if (ui is not null) descriptor["x-descriptors"] = new JsonArray(ui);
            result.Add(descriptor);
        }
        return result;
    }

    private static JsonObject InstallMode(string type, bool supported) => new() { ["type"] = type, ["supported"] = supported };

    public static JsonObject Annotations() => new()
    {
        ["operators.operatorframework.io.bundle.mediatype.v1"] = "registry+v1",
        ["operators.operatorframework.io.bundle.manifests.v1"] = "manifests/",
        ["operators.operatorframework.io.bundle.metadata.v1"] = "metadata/",
        ["operators.operatorframework.io.bundle.package.v1"] = CsvMetadata.Package,
        ["operators.operatorframework.io.bundle.channels.v1"] = CsvMetadata.Channel,
        ["operators.operatorframework.io.bundle.channel.default.v1"] = CsvMetadata.Channel,
    };

    private static string Dockerfile()
    {
        var labels = string.Join("", Annotations().Select(a => $"LABEL {a.Key}={a.Value}\n"));
        return "# The OLM bundle image (generated by scripts/bundle.sh; do not edit).\n" +
               "#   podman build -f bundle/bundle.Dockerfile -t REGISTRY/talm-operator-bundle:VERSION bundle/\n" +
               "FROM scratch\n" + labels +
               "COPY manifests /manifests/\nCOPY metadata /metadata/\n";
    }

    private static bool BindsAccount(JsonObject binding, string account, string? ns) =>
        (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().Any(s =>
            s["kind"]?.GetValue<string>() == "ServiceAccount" && s["name"]?.GetValue<string>() == account
            && (s["namespace"]?.GetValue<string>() ?? Meta(binding, "namespace")) == ns);

    /// <summary>"clusterLabelSelectors" -> "Cluster Label Selectors"; "blockingCRs" -> "Blocking CRs".</summary>
    public static string Words(string name) =>
        string.Join(' ', CamelWords().Matches(name).Select(m => char.ToUpperInvariant(m.Value[0]) + m.Value[1..]));

    private static string Kind(JsonObject doc) => doc["kind"]!.GetValue<string>();

    private static string? Meta(JsonObject doc, string key) => doc["metadata"]?[key]?.GetValue<string>();

    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [GeneratedRegex(@"[A-Z]+s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")]
    private static partial Regex CamelWords();

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
