using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Cgu;
using Talm.Api.Meta;
using Talm.Api.Rhacm;

namespace Talm.Engine.Reconcile;

/// <summary>
/// Subscriptions a policy installs are followed on each cluster while it is remediated: their
/// InstallPlan, when it waits for a manual approval, is approved through a ManagedClusterAction.
/// status.managedPoliciesContent records, per policy, the Subscriptions to follow.
/// </summary>
internal static class MonitoredObjects
{
    private const string ProcessingReason = "GetResourceProcessing";

    private sealed record Monitored(string Kind, string Name, string ApiVersion, string? Namespace);

    /// <summary>processManagedPolicyForMonitoredObjects: false (an error) when a policy's objects cannot be read.</summary>
    public static bool Record(ReconcileContext ctx, IReadOnlyList<Policy> policies)
    {
        var content = ctx.Status.ManagedPoliciesContent ??= new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var policy in policies)
        {
            var (objects, error) = Of(policy);
            if (error is not null)
            {
                ctx.Fail(error);
                return false;
            }
            if (objects.Count > 0)
                content[policy.Metadata.Name ?? ""] = Json(objects);
        }
        return true;
    }

    /// <summary>processMonitoredObjects: for each in-progress cluster, the Subscriptions of the policy it is on.</summary>
    public static void ApproveInstallPlans(ReconcileContext ctx)
    {
        var forUpgrade = ctx.Status.ManagedPoliciesForUpgrade ?? [];
        foreach (var (cluster, progress) in ctx.Progress.CurrentBatchRemediationProgress ?? [])
        {
            if (progress.State != RemediationStates.InProgress || progress.PolicyIndex is not { } index || index >= forUpgrade.Count)
                continue;
            var policyName = forUpgrade[index].Name ?? "";
            if (ctx.Status.ManagedPoliciesContent?.GetValueOrDefault(policyName) is not { } json)
                continue;
            List<Monitored>? objects;
            try
            {
                objects = JsonSerializer.Deserialize<List<Monitored>>(json, Api.Json.KubeJson.Options);
            }
            catch (JsonException e)
            {
                ctx.Fail(e.Message);
                return;
            }
            foreach (var obj in objects ?? [])
                Process(ctx, obj, cluster);
        }
    }

    private static void Process(ReconcileContext ctx, Monitored obj, string cluster)
    {
        var mcvName = $"{ctx.Cgu.Name}-{ctx.Cgu.Namespace}-{obj.Kind}-{obj.Name}".ToLowerInvariant();
        var safe = SafeNames.Get(ctx, mcvName, "");
        var group = obj.ApiVersion.Split('/')[0];
        var view = EnsureView(ctx, safe, mcvName, cluster, $"{obj.Kind}.{group}", obj.Name, obj.Namespace ?? "");
        if (obj.Kind != "Subscription" || !Processed(view, out var result))
            return;
        var state = Text(result, "status", "state");
        var installPlan = result.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.Object &&
                          st.TryGetProperty("installplan", out var ip) && ip.ValueKind == JsonValueKind.Object ? Text(ip, "name") ?? "" : null;
        if (state != "UpgradePending" || installPlan is null)
            return;
        var subscriptionNs = Text(result, "metadata", "namespace") ?? "";
        var ipView = EnsureView(ctx, installPlan, installPlan, cluster, "InstallPlan", installPlan, subscriptionNs);
        if (!Processed(ipView, out var plan))
            return;
        if (Text(plan, "spec", "approval") != "Manual")
            return;
        if (plan.TryGetProperty("spec", out var spec) && spec.TryGetProperty("approved", out var approved) && approved.ValueKind == JsonValueKind.True)
            return;
        var planName = Text(plan, "metadata", "name") ?? "";
        if (ctx.Hub.ActionExists(cluster, planName))
            return;
        var action = ApproveAction(ctx, cluster, plan, planName);
        ctx.Create(action);
        ctx.Hub.Wrote(action);
    }

    /// <summary>EnsureManagedClusterView: created when missing, its labels and scope brought up to date otherwise.</summary>
    private static ManagedClusterView EnsureView(ReconcileContext ctx, string safeName, string name, string cluster, string resource, string resourceName, string resourceNamespace)
    {
        var scope = new ViewScope { Resource = resource, Name = resourceName, Namespace = resourceNamespace == "" ? null : resourceNamespace };
        var existing = ctx.Hub.View(cluster, safeName);
        if (existing is null)
        {
            var created = new ManagedClusterView
            {
                Metadata = new ObjectMeta
                {
                    Name = safeName,
                    Namespace = cluster,
                    Labels = HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace),
                    Annotations = new Dictionary<string, string> { [HubNames.DesiredNameAnnotation] = SafeNames.Key(cluster, name) },
                },
                Spec = new ManagedClusterViewSpec { Scope = scope },
            };
            ctx.Create(created);
            ctx.Hub.Wrote(created);
            return created;
        }
        var labels = new Dictionary<string, string>(existing.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [HubNames.CguLabel] = ctx.Cgu.Name,
            [HubNames.CguNamespaceLabel] = ctx.Cgu.Namespace,
        };
        var sameLabels = existing.Metadata.Labels is { } old && old.Count == labels.Count && labels.All(p => old.TryGetValue(p.Key, out var v) && v == p.Value);
        var sameScope = existing.Spec.Scope.Resource == scope.Resource && existing.Spec.Scope.Name == scope.Name && existing.Spec.Scope.Namespace == scope.Namespace;
        if (sameLabels && sameScope)
            return existing;
        var updated = existing with { Metadata = existing.Metadata with { Labels = labels }, Spec = existing.Spec with { Scope = scope } };
        ctx.Update(updated);
        ctx.Hub.Wrote(updated);
        return updated;
    }

    /// <summary>The view found its resource: Processing True with the reason GetResourceProcessing, and a result.</summary>
    private static bool Processed(ManagedClusterView view, out JsonElement result)
    {
        result = default;
        var processing = Conditions.Find(view.Status?.Conditions, ManagedClusterView.ProcessingCondition);
        if (processing is null || processing.Reason != ProcessingReason || !processing.IsTrue)
            return false;
        if (view.Status?.Result is not { ValueKind: JsonValueKind.Object } r)
            return false;
        result = r;
        return true;
    }

    private static ManagedClusterAction ApproveAction(ReconcileContext ctx, string cluster, JsonElement plan, string planName)
    {
        var csvNames = plan.TryGetProperty("spec", out var spec) && spec.TryGetProperty("clusterServiceVersionNames", out var names) && names.ValueKind == JsonValueKind.Array
            ? JsonNode.Parse(names.GetRawText())
            : null;
        var template = new JsonObject
        {
            ["apiVersion"] = "operators.coreos.com/v1alpha1",
            ["kind"] = "InstallPlan",
            ["metadata"] = new JsonObject { ["name"] = planName, ["resourceVersion"] = Text(plan, "metadata", "resourceVersion") ?? "" },
            ["spec"] = new JsonObject { ["approval"] = "Manual", ["approved"] = true, ["clusterServiceVersionNames"] = csvNames },
        };
        return new ManagedClusterAction
        {
            Metadata = new ObjectMeta
            {
                Name = planName,
                Namespace = cluster,
                Labels = new Dictionary<string, string> { [HubNames.CguLabel] = $"{ctx.Cgu.Namespace}-{ctx.Cgu.Name}" },
            },
            Spec = new ManagedClusterActionSpec
            {
                ActionType = ActionTypes.Update,
                Kube = new KubeWork { Resource = "installplan", Namespace = Text(plan, "metadata", "namespace"), Template = JsonSerializer.SerializeToElement(template) },
            },
        };
    }

    /// <summary>The Subscriptions (with name and namespace) among the objects a policy must have.</summary>
    private static (List<Monitored> Objects, string? Error) Of(Policy policy)
    {
        var name = policy.Metadata.Name ?? "";
        var objects = new List<Monitored>();
        foreach (var template in policy.Spec.PolicyTemplates ?? [])
        {
            if (template.ObjectDefinition is not { ValueKind: JsonValueKind.Object } def)
                return (objects, $"policy {name} is missing its spec.policy-templates.objectDefinition");
            if (!def.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
                return (objects, $"policy {name} is missing its spec.policy-templates.objectDefinition.spec");
            var single = new Policy { Metadata = policy.Metadata, Spec = policy.Spec with { PolicyTemplates = [template] } };
            var (defs, error) = Definitions(single);
            if (error is not null)
                return (objects, error);
            foreach (var od in defs)
            {
                if (od["metadata"] is not JsonObject md)
                    continue;
                if (PolicyObjects.Str(od["kind"]) is not { } kind || kind != "Subscription")
                    continue;
                if (md["name"] is null || md["namespace"] is null)
                    continue;
                objects.Add(new Monitored(kind, PolicyObjects.Str(md["name"]) ?? "", PolicyObjects.Str(od["apiVersion"]) ?? "", PolicyObjects.Str(md["namespace"]) ?? ""));
            }
        }
        return (objects, null);
    }

    /// <summary>The object definitions of a one-template policy, mustnothave ones left out.</summary>
    private static (List<JsonObject> Objects, string? Error) Definitions(Policy single)
    {
        var (objects, error) = PolicyObjects.Strip(single);
        if (error is null)
            return (objects, null);
        var name = single.Metadata.Name ?? "";
        return error.Contains("objectDefinition", StringComparison.Ordinal) && !error.Contains("both", StringComparison.Ordinal)
            ? (objects, $"policy {name} is missing its spec.policy-templates.objectDefinition.spec.object-templates.objectDefinition")
            : (objects, error);
    }

    /// <summary>[{"kind","name","apiVersion","namespace"}], in that key order, as the reference marshals it.</summary>
    private static string Json(List<Monitored> objects)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var o in objects)
            {
                w.WriteStartObject();
                if (o.Kind != "") w.WriteString("kind", o.Kind);
                if (o.Name != "") w.WriteString("name", o.Name);
                if (o.ApiVersion != "") w.WriteString("apiVersion", o.ApiVersion);
                if (o.Namespace is not null) w.WriteString("namespace", o.Namespace);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string? Text(JsonElement e, params string[] path)
    {
        var cur = e;
        foreach (var p in path)
        {
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(p, out cur))
                return null;
        }
        return cur.ValueKind == JsonValueKind.String ? cur.GetString() : null;
    }
}
