using System.Text.Json;
using System.Text.Json.Nodes;
using Talm.Api.Meta;
using Talm.Api.Work;

namespace Talm.Engine.Reconcile;

/// <summary>
/// The ManifestWork rollout: each cluster of a batch gets the CGU's ManifestWorkReplicaSet templates one
/// after the other, each as a ManifestWork named "&lt;cgu-namespace&gt;.&lt;template&gt;-&lt;suffix&gt;"; the next comes
/// once the previous is applied, available and shows the template's expected feedback values, and the
/// previous one is deleted first.
/// </summary>
internal static class ManifestWorks
{
    /// <summary>validateManifestWorkTemplates: the templates that do not exist in the CGU's namespace.</summary>
    public static List<string> MissingTemplates(ReconcileContext ctx) =>
        (ctx.Spec.ManifestWorkTemplates ?? []).Where(t => ctx.Hub.Template(ctx.Cgu.Namespace, t) is null).ToList();

    public static string Name(ReconcileContext ctx, int index) =>
        SafeNames.Get(ctx, $"{ctx.Cgu.Namespace}.{ctx.Spec.ManifestWorkTemplates![index]}", "");

    /// <summary>getNextManifestWorkForCluster: the index after a completed work; a previous one still there is deleted.</summary>
    public static int Next(ReconcileContext ctx, string cluster, int index)
    {
        var work = ctx.Hub.Work(cluster, Name(ctx, index));
        if (work is not null)
        {
            var (completed, error) = Completed(work);
            if (error is not null)
                ctx.Fail(error);
            return completed ? index + 1 : index;
        }
        if (index > 0)
        {
            var previous = Name(ctx, index - 1);
            if (ctx.Hub.Work(cluster, previous) is not null)
            {
                ctx.Delete(Kinds.ManifestWork, cluster, previous);
                ctx.Hub.Deleted(Kinds.ManifestWork, cluster, previous);
            }
        }
        return index;
    }

    /// <summary>updateManifestWorkForCurrentBatch: each cluster's current work created once the previous one is gone.</summary>
    public static void Update(ReconcileContext ctx)
    {
        foreach (var (cluster, progress) in ctx.Progress.CurrentBatchRemediationProgress ?? [])
        {
            if (progress.State == Api.Cgu.RemediationStates.Completed || progress.ManifestWorkIndex is not { } index)
                continue;
            if (index > 0 && ctx.Hub.Work(cluster, Name(ctx, index - 1)) is not null)
                continue;
            var name = Name(ctx, index);
            if (ctx.Hub.Work(cluster, name) is not null)
                continue;
            var templateName = ctx.Spec.ManifestWorkTemplates![index];
            var template = ctx.Hub.Template(ctx.Cgu.Namespace, templateName);
            if (template is null)
            {
                ctx.Fail($"manifestworkreplicasets.work.open-cluster-management.io \"{templateName}\" not found");
                return;
            }
            var work = new ManifestWork
            {
                Metadata = new ObjectMeta
                {
                    Name = name,
                    Namespace = cluster,
                    Labels = HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace),
                    Annotations = new Dictionary<string, string>
                    {
                        [HubNames.ExpectedValuesAnnotation] = template.Metadata.Annotation(HubNames.ExpectedValuesAnnotation) ?? "",
                    },
                },
                Spec = template.Spec is { ValueKind: JsonValueKind.Object } spec && spec.TryGetProperty("manifestWorkTemplate", out var workTemplate)
                    ? GoShape(workTemplate)
                    : JsonSerializer.SerializeToElement(new JsonObject()),
            };
            ctx.Create(work);
            ctx.Hub.Wrote(work);
        }
    }

    /// <summary>
    /// The template's spec as the reference writes it after reading it into Go types: a resource
    /// identifier's resource, name and namespace are always there, "" when not given.
    /// </summary>
    private static JsonElement GoShape(JsonElement workTemplate)
    {
        var spec = JsonNode.Parse(workTemplate.GetRawText())!.AsObject();
        foreach (var option in (spec["manifestConfigs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var id = option["resourceIdentifier"] as JsonObject ?? new JsonObject();
            foreach (var field in new[] { "resource", "name", "namespace" })
                id[field] ??= "";
            option["resourceIdentifier"] = id;
        }
        return JsonSerializer.SerializeToElement(spec);
    }

    /// <summary>handleManifestWorkTimeoutForCluster: what the timed-out cluster's current work reached.</summary>
    public static JsonElement? TimedOutWork(ReconcileContext ctx, string cluster, int? index)
    {
        var templates = ctx.Spec.ManifestWorkTemplates ?? [];
        if (index is not { } i || i >= templates.Count)
            return null;
        var current = new JsonObject { ["name"] = templates[i] };
        var work = ctx.Hub.Work(cluster, Name(ctx, i));
        if (work is not null)
        {
            var manifests = new JsonArray();
            if (work.Status is { ValueKind: JsonValueKind.Object } status && status.TryGetProperty("resourceStatus", out var rs) &&
                rs.ValueKind == JsonValueKind.Object && rs.TryGetProperty("manifests", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in list.EnumerateArray())
                    manifests.Add(Summarise(m));
            }
            current["status"] = new JsonObject { ["manifests"] = manifests };
        }
        return JsonSerializer.SerializeToElement(current);
    }

    /// <summary>A ready manifest keeps its first condition, a pending one drops its feedback values.</summary>
    private static JsonObject Summarise(JsonElement manifest)
    {
        var m = JsonNode.Parse(manifest.GetRawText())!.AsObject();
        var meta = m["resourceMeta"] as JsonObject ?? new JsonObject();
        foreach (var field in new[] { "group", "kind", "name", "namespace", "resource", "version" })
            meta[field] ??= "";
        meta["ordinal"] ??= 0;
        m["resourceMeta"] = meta;
        var feedback = m["statusFeedback"] as JsonObject ?? new JsonObject();
        if (Ready(manifest))
        {
            if (m["conditions"] is JsonArray conditions && conditions.Count > 1)
                m["conditions"] = new JsonArray(conditions[0]!.DeepClone());
        }
        else
        {
            feedback.Remove("values");
        }
        m["statusFeedback"] = feedback;
        return m;
    }

    /// <summary>IsManifestWorkCompleted: applied and available, and every expected feedback value seen.</summary>
    private static (bool Completed, string? Error) Completed(ManifestWork work)
    {
        if (work.Status is not { ValueKind: JsonValueKind.Object } status || !AllTrue(status, "Applied", "Available"))
            return (false, null);
        var expected = work.Metadata.Annotation(HubNames.ExpectedValuesAnnotation);
        if (string.IsNullOrEmpty(expected))
            return (true, null);
        JsonElement values;
        try
        {
            values = JsonDocument.Parse(expected).RootElement;
        }
        catch (JsonException e)
        {
            return (false, e.Message);
        }
        if (values.ValueKind != JsonValueKind.Array)
            return (false, $"json: cannot unmarshal {values.ValueKind} into ManifestWorkExpectedValues");
        foreach (var v in values.EnumerateArray())
        {
            var ordinal = v.TryGetProperty("manifestIndex", out var mi) && mi.TryGetInt32(out var n) ? n : 0;
            var name = v.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString() : "";
            var value = v.TryGetProperty("value", out var vv) && vv.ValueKind == JsonValueKind.String ? vv.GetString() : "";
            var manifest = ManifestAt(status, ordinal);
            if (manifest is null || !Ready(manifest.Value) || value != FieldValue(manifest.Value, name ?? ""))
                return (false, null);
        }
        return (true, null);
    }

    private static JsonElement? ManifestAt(JsonElement status, int ordinal)
    {
        if (!status.TryGetProperty("resourceStatus", out var rs) || rs.ValueKind != JsonValueKind.Object ||
            !rs.TryGetProperty("manifests", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var m in list.EnumerateArray())
        {
            var at = m.TryGetProperty("resourceMeta", out var meta) && meta.TryGetProperty("ordinal", out var o) && o.TryGetInt32(out var x) ? x : 0;
            if (at == ordinal)
                return m;
        }
        return null;
    }

    /// <summary>IsManifestConditionReady: Applied, Available and StatusFeedbackSynced all True.</summary>
    private static bool Ready(JsonElement manifest) => AllTrue(manifest, "Applied", "Available", "StatusFeedbackSynced");

    private static bool AllTrue(JsonElement holder, params string[] types)
    {
        if (!holder.TryGetProperty("conditions", out var conditions) || conditions.ValueKind != JsonValueKind.Array)
            return false;
        foreach (var type in types)
        {
            var found = conditions.EnumerateArray().Any(c =>
                c.TryGetProperty("type", out var t) && t.GetString() == type &&
                c.TryGetProperty("status", out var s) && s.GetString() == "True");
            if (!found)
                return false;
        }
        return true;
    }

    private static string FieldValue(JsonElement manifest, string name)
    {
        if (!manifest.TryGetProperty("statusFeedback", out var feedback) || feedback.ValueKind != JsonValueKind.Object ||
            !feedback.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        foreach (var v in values.EnumerateArray())
        {
            if (!v.TryGetProperty("name", out var n) || n.GetString() != name || !v.TryGetProperty("fieldValue", out var fv))
                continue;
            var type = fv.TryGetProperty("type", out var t) ? t.GetString() : null;
            return type switch
            {
                "String" when fv.TryGetProperty("string", out var s) => s.GetString() ?? "",
                "Boolean" when fv.TryGetProperty("boolean", out var b) => b.ValueKind == JsonValueKind.True ? "true" : "false",
                "Integer" when fv.TryGetProperty("integer", out var i) => i.GetRawText(),
                "JsonRaw" when fv.TryGetProperty("jsonRaw", out var r) => r.GetString() ?? "",
                _ => "",
            };
        }
        return "";
    }

    /// <summary>cleanupManifestWorkForBatch: every work of the CGU on the batch's clusters.</summary>
    public static void CleanupBatch(ReconcileContext ctx, int batchIndex)
    {
        if (ctx.IsPolicyRollout || ctx.Status.RemediationPlan is not { } plan || batchIndex < 0 || batchIndex >= plan.Count)
            return;
        var labels = HubNames.CguLabels(ctx.Cgu.Name, ctx.Cgu.Namespace);
        foreach (var cluster in plan[batchIndex])
        {
            ctx.DeleteAllOf(Kinds.ManifestWork, cluster, labels);
            ctx.Hub.DeletedAllFor(Kinds.ManifestWork, cluster, ctx.Cgu);
        }
    }

    public static void CleanupCurrentBatch(ReconcileContext ctx)
    {
        if (ctx.Progress.CurrentBatch >= 1)
            CleanupBatch(ctx, ctx.Progress.CurrentBatch - 1);
    }

    public static void CleanupPreviousBatch(ReconcileContext ctx)
    {
        if (ctx.Progress.CurrentBatch >= 2)
            CleanupBatch(ctx, ctx.Progress.CurrentBatch - 2);
    }

    /// <summary>finalCleanupManifestWork: the works of every batch before the current one (all batches when none started).</summary>
    public static void FinalCleanup(ReconcileContext ctx)
    {
        var last = ctx.Progress.CurrentBatch < 1 ? ctx.Status.RemediationPlan?.Count ?? 0 : ctx.Progress.CurrentBatch - 1;
        for (var i = 0; i < last; i++)
            CleanupBatch(ctx, i);
    }
}
