using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Internal;

/// <summary>Builders for the ManagedClusterActions and ManagedClusterViews that reach into a spoke.</summary>
internal static class SpokeObjects
{
    public static ManagedClusterAction CreateAction(string cluster, string name, string resource, JsonElement template, string? kubeNamespace = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Spec = new ManagedClusterActionSpec
        {
            ActionType = ActionTypes.Create,
            Kube = new KubeWork { Resource = resource, Namespace = kubeNamespace, Template = template },
        },
    };

    public static ManagedClusterAction DeleteAction(string cluster, string name, string resource, string resourceName, string? kubeNamespace = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Spec = new ManagedClusterActionSpec
        {
            ActionType = ActionTypes.Delete,
            Kube = new KubeWork { Resource = resource, Name = resourceName, Namespace = kubeNamespace },
        },
    };

    public static ManagedClusterView View(string cluster, string name, string resource, string resourceName, string? ns = null, int? updateIntervalSeconds = null) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = cluster },
        Spec = new ManagedClusterViewSpec
        {
            Scope = new ViewScope { Resource = resource, Name = resourceName, Namespace = ns, UpdateIntervalSeconds = updateIntervalSeconds },
        },
    };

    public static JsonElement Namespace(string name, bool privileged) => Element(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = privileged ? new JsonObject { ["pod-security.kubernetes.io/enforce"] = "privileged" } : null,
            ["annotations"] = new JsonObject { ["workload.openshift.io/allowed"] = "management" },
        },
    });

    public static JsonElement ServiceAccount(string name, string ns) => Element(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
    });

    public static JsonElement ClusterAdminBinding(string name, string serviceAccount, string ns) => Element(new JsonObject
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "cluster-admin" },
        ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = serviceAccount, ["namespace"] = ns }),
    });

    public static JsonElement Element(JsonNode node)
    {
        RemoveNulls(node);
        return JsonSerializer.SerializeToElement(node);
    }

    private static void RemoveNulls(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
                obj.Remove(key);
            foreach (var (_, v) in obj)
                RemoveNulls(v);
        }
        else if (node is JsonArray arr)
        {
            foreach (var v in arr)
                RemoveNulls(v);
        }
    }
}
