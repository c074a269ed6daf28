using System.Text.Json;
using Talm.Api.Json;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>What the caches keep of an object: never managedFields; for actions, only what says they exist.</summary>
public sealed class CacheTrimTests
{
    private static KubeObject Action() => KubeObject.FromJson(KubeJson.Element("""
        {"apiVersion":"action.open-cluster-management.io/v1beta1","kind":"ManagedClusterAction",
         "metadata":{"name":"backup-job-create","namespace":"c1","resourceVersion":"7","labels":{"a":"b"},
                     "managedFields":[{"manager":"talm","operation":"Update","fieldsV1":{"f:spec":{}}}]},
         "spec":{"actionType":"Create","kube":{"resource":"job","template":{"kind":"Job","spec":{"backoffLimit":0}}}},
         "status":{"conditions":[{"type":"Completed","status":"True"}]}}
        """));

    [Fact]
    public void Actions_are_cached_as_metadata_without_managed_fields()
    {
        var cache = new ObjectCache(CacheShape.MetadataOnly);
        cache.Upsert(Action());
        var stored = cache.Get("c1", "backup-job-create")!;
        Assert.Equal(["apiVersion", "kind", "metadata"], stored.Json.EnumerateObject().Select(p => p.Name));
        var meta = stored.Json.GetProperty("metadata");
        Assert.False(meta.TryGetProperty("managedFields", out _));
        Assert.Equal(("7", "b"), (stored.ResourceVersion, meta.GetProperty("labels").GetProperty("a").GetString()));
    }

    [Fact]
    public void Other_kinds_keep_their_content_and_lose_only_managed_fields()
    {
        var cache = new ObjectCache();
        cache.Remember(Action());
        var stored = cache.Get("c1", "backup-job-create")!;
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], stored.Json.EnumerateObject().Select(p => p.Name));
        Assert.False(stored.Json.GetProperty("metadata").TryGetProperty("managedFields", out _));
        Assert.Equal(0, stored.Json.GetProperty("spec").GetProperty("kube").GetProperty("template").GetProperty("spec").GetProperty("backoffLimit").GetInt32());
    }

    [Fact]
    public void An_object_with_nothing_to_drop_is_stored_as_it_is()
    {
        var plain = KubeObject.FromJson(KubeJson.Element("""{"kind":"Policy","metadata":{"name":"p","namespace":"n","resourceVersion":"1"},"spec":{}}"""));
        Assert.Same(plain, plain.Trimmed(CacheShape.Full));
        Assert.Equal(JsonValueKind.Object, plain.Trimmed(CacheShape.MetadataOnly).Json.GetProperty("metadata").ValueKind);
    }

    [Fact]
    public void A_replicated_policy_keeps_what_the_engine_reads_and_a_root_policy_everything()
    {
        var cache = new ObjectCache(CacheShape.ReplicaSummary);
        cache.Upsert(KubeObject.FromJson(KubeJson.Element("""
            {"apiVersion":"policy.open-cluster-management.io/v1","kind":"Policy",
             "metadata":{"name":"ztp.upgrade","namespace":"c1","resourceVersion":"3","labels":{"policy.open-cluster-management.io/root-policy":"ztp.upgrade"}},
             "spec":{"remediationAction":"inform","disabled":false,"policy-templates":[{"objectDefinition":{"kind":"ConfigurationPolicy"}}]},
             "status":{"compliant":"NonCompliant","details":[{"history":[]}]}}
            """)));
        cache.Upsert(KubeObject.FromJson(KubeJson.Element("""
            {"kind":"Policy","metadata":{"name":"upgrade","namespace":"ztp","resourceVersion":"2"},
             "spec":{"remediationAction":"inform","policy-templates":[{"objectDefinition":{"kind":"ConfigurationPolicy"}}]}}
            """)));
        var child = cache.Get("c1", "ztp.upgrade")!.Json;
        Assert.Equal("""{"remediationAction":"inform"}""", child.GetProperty("spec").GetRawText());
        Assert.Equal("""{"compliant":"NonCompliant"}""", child.GetProperty("status").GetRawText());
        Assert.Equal("ztp.upgrade", cache.Get("c1", "ztp.upgrade")!.Label(KubeObject.RootPolicyLabel));
        Assert.True(cache.Get("ztp", "upgrade")!.Json.GetProperty("spec").TryGetProperty("policy-templates", out _));
    }
}
