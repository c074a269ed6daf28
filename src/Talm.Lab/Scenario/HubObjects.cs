using System.Text.Json.Nodes;

namespace Talm.Lab.Scenario;

/// <summary>
/// The hub objects of the documentation's example (docs/lab-walkthrough.md): a ZTP group namespace holding a
/// platform-upgrade root policy bound (inform) to every lab cluster, and the CGU that rolls it out.
/// </summary>
public static class HubObjects
{
    public const string GroupNamespace = "ztp-group-du-sno";
    public const string CguName = "du-upgrade-4918";
    public const string PolicyName = "du-upgrade-platform-upgrade";
    public const string TargetVersion = "4.18.9";
    public const string TargetImage =
        "quay.io/openshift-release-dev/ocp-release@sha256:7bb5cdd1d0a2c39e5f2b9d2a1f8c6e4d3b2a19f8e7d6c5b4a39281706f5e4d3c";
    public const string GroupLabel = "group-du-sno";

    public static JsonObject Namespace(string name) => new() { ["metadata"] = new JsonObject { ["name"] = name } };

    public static JsonObject ManagedCluster(string name) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject
            {
                ["name"] = name,
                ["common"] = "true",
                [GroupLabel] = "",
                ["vendor"] = "OpenShift",
                ["du-profile"] = "4.18",
            },
        },
        ["spec"] = new JsonObject { ["hubAcceptsClient"] = true, ["leaseDurationSeconds"] = 60 },
    };

    public static JsonObject PlatformUpgradePolicy() => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = PolicyName,
            ["namespace"] = GroupNamespace,
            ["annotations"] = new JsonObject
            {
                ["policy.open-cluster-management.io/categories"] = "CM Configuration Management",
                ["policy.open-cluster-management.io/controls"] = "CM-2 Baseline Configuration",
                ["policy.open-cluster-management.io/standards"] = "NIST SP 800-53",
                ["ran.openshift.io/ztp-deploy-wave"] = "100",
            },
        },
        ["spec"] = new JsonObject
        {
            ["disabled"] = false,
            ["remediationAction"] = "inform",
            ["policy-templates"] = new JsonArray(new JsonObject
            {
                ["objectDefinition"] = new JsonObject
                {
                    ["apiVersion"] = "policy.open-cluster-management.io/v1",
                    ["kind"] = "ConfigurationPolicy",
                    ["metadata"] = new JsonObject { ["name"] = PolicyName + "-config" },
                    ["spec"] = new JsonObject
                    {
                        ["remediationAction"] = "inform",
                        ["severity"] = "low",
                        ["namespaceselector"] = new JsonObject
                        {
                            ["exclude"] = new JsonArray("kube-*"),
                            ["include"] = new JsonArray("*"),
                        },
                        ["object-templates"] = new JsonArray(new JsonObject
                        {
                            ["complianceType"] = "musthave",
                            ["objectDefinition"] = new JsonObject
                            {
                                ["apiVersion"] = "config.openshift.io/v1",
                                ["kind"] = "ClusterVersion",
                                ["metadata"] = new JsonObject { ["name"] = "version" },
                                ["spec"] = new JsonObject
                                {
                                    ["channel"] = "stable-4.18",
                                    ["desiredUpdate"] = new JsonObject { ["version"] = TargetVersion, ["image"] = TargetImage },
                                    ["upstream"] = "https://api.openshift.com/api/upgrades_info/v1/graph",
                                },
                                ["status"] = new JsonObject
                                {
                                    ["history"] = new JsonArray(new JsonObject { ["state"] = "Completed", ["version"] = TargetVersion }),
                                },
                            },
                        }),
                    },
                },
            }),
        },
    };

    public static JsonObject GroupPlacement() => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "du-upgrade-placement", ["namespace"] = GroupNamespace },
        ["spec"] = new JsonObject
        {
            ["predicates"] = new JsonArray(new JsonObject
            {
                ["requiredClusterSelector"] = new JsonObject
                {
                    ["labelSelector"] = new JsonObject
                    {
                        ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = GroupLabel, ["operator"] = "Exists" }),
                    },
                },
            }),
        },
    };

    public static JsonObject GroupPlacementBinding() => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "du-upgrade-placementbinding", ["namespace"] = GroupNamespace },
        ["placementRef"] = new JsonObject
        {
            ["apiGroup"] = "cluster.open-cluster-management.io",
            ["kind"] = "Placement",
            ["name"] = "du-upgrade-placement",
        },
        ["subjects"] = new JsonArray(new JsonObject
        {
            ["apiGroup"] = "policy.open-cluster-management.io",
            ["kind"] = "Policy",
            ["name"] = PolicyName,
        }),
    };

    public static JsonObject DefaultCgu(IEnumerable<string> clusters, int maxConcurrency, int timeoutMinutes = 240, bool enable = true) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = CguName, ["namespace"] = GroupNamespace },
        ["spec"] = new JsonObject
        {
            ["preCaching"] = true,
            ["backup"] = true,
            ["clusters"] = new JsonArray([.. clusters.Select(c => (JsonNode)JsonValue.Create(c)!)]),
            ["enable"] = enable,
            ["managedPolicies"] = new JsonArray(PolicyName),
            ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = maxConcurrency, ["timeout"] = timeoutMinutes },
        },
    };
}
