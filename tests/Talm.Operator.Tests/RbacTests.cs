using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using Talm.Operator.Election;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>
/// The RBAC in deploy/operator is least privilege and sufficient: every request the operator makes
/// in a full CGU life (leader election, backup, rollout, completion, deletion) is allowed by it.
/// </summary>
public sealed class RbacTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await Hub.StartWithTwoSpokesAsync();
        await _hub.NamespaceAsync("talm-system");
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Records every request as (api group, resource[/subresource], verb, namespace).</summary>
    private sealed class Spy : DelegatingHandler
    {
        public ConcurrentBag<(string Group, string Resource, string Verb, string? Namespace)> Calls { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls.Add(Classify(request.Method, request.RequestUri!));
            return base.SendAsync(request, cancellationToken);
        }

        private static (string, string, string, string?) Classify(HttpMethod method, Uri uri)
        {
            var parts = uri.AbsolutePath.Trim('/').Split('/');
            var (group, rest) = parts[0] == "api" ? ("", parts[2..]) : (parts[1], parts[3..]);
            string? ns = null;
            if (rest.Length >= 2 && rest[0] == "namespaces" && rest.Length > 2)
            {
                ns = rest[1];
                rest = rest[2..];
            }
            var resource = rest[0] + (rest.Length > 2 ? "/" + rest[2] : "");
            var named = rest.Length > 1;
            var watch = uri.Query.Contains("watch=true", StringComparison.Ordinal);
            var verb = method.Method switch
            {
                "GET" => named ? "get" : watch ? "watch" : "list",
                "POST" => "create",
                "PUT" => "update",
                "PATCH" => "patch",
                "DELETE" => named ? "delete" : "deletecollection",
                _ => method.Method,
            };
            return (group, resource, verb, ns);
        }
    }

    private static List<(JsonObject Rule, string? Namespace)> Rules()
    {
        var rules = new List<(JsonObject, string?)>();
        foreach (var file in new[] { "cluster_role.yaml", "leader_election_role.yaml" })
        {
            var path = Path.Combine(Hub.RepoRoot, "deploy", "operator", file);
            foreach (var doc in Talm.Api.Json.YamlJson.ParseAll(File.ReadAllText(path)).OfType<JsonObject>())
            {
                var kind = doc["kind"]!.GetValue<string>();
                if (kind is not ("ClusterRole" or "Role")) continue;
                var ns = kind == "Role" ? doc["metadata"]!["namespace"]!.GetValue<string>() : null;
                rules.AddRange(doc["rules"]!.AsArray().Select(r => (r!.AsObject(), ns)));
            }
        }
        return rules;
    }

    private static bool Allowed(List<(JsonObject Rule, string? Namespace)> rules, (string Group, string Resource, string Verb, string? Namespace) call) =>
        rules.Any(r =>
            (r.Namespace is null || r.Namespace == call.Namespace) &&
            r.Rule["apiGroups"]!.AsArray().Any(g => g!.GetValue<string>() == call.Group) &&
            r.Rule["resources"]!.AsArray().Any(x => x!.GetValue<string>() == call.Resource) &&
            r.Rule["verbs"]!.AsArray().Any(v => v!.GetValue<string>() == call.Verb));

    [Fact]
    public async Task Every_request_of_a_full_CGU_life_is_allowed_by_the_shipped_RBAC()
    {
        var spy = new Spy();
        var election = new LeaderElectionOptions { Namespace = "talm-system", Identity = "op", LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5), RetryPeriod = TimeSpan.FromMilliseconds(200) };
        var op = await _hub.StartOperatorAsync(Hub.Options(election: election), spy);
        await Eventually.TrueAsync(() => op.Leading, "leading");

        var spec = BackupStoryTests.BackupSpec("spoke1", "spoke2");
        spec["actions"] = new JsonObject { ["afterCompletion"] = new JsonObject { ["addClusterLabels"] = new JsonObject { ["upgraded"] = "true" } } };
        await _hub.CguAsync("cgu", spec);
        foreach (var c in new[] { "spoke1", "spoke2" })
        {
            await _hub.NamespaceExistsOnSpokeAsync(c);
            await _hub.JobAsync(c, Hub.JobSucceeded());
        }
        await _hub.WaitConditionAsync("cgu", "Progressing", "True", "InProgress");
        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "Compliant", ["spoke2"] = "Compliant" });
        await _hub.WaitConditionAsync("cgu", "Succeeded", "True", "Completed");
        await Eventually.TrueAsync(() => _hub.GetAsync(WatchedKind.ManagedCluster, null, "spoke1").Result?.GetProperty("metadata")
            .GetProperty("labels").TryGetProperty("upgraded", out _) == true, "the afterCompletion label");
        await _hub.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("ran.openshift.io", "v1alpha1", Hub.CguNs, "clustergroupupgrades", "cgu");
        await Eventually.TrueAsync(() => _hub.Cgu("cgu").Result is null, "the CGU gone");

        // Pre-caching reads what only it needs: the PreCachingConfig named by the CGU and the overrides ConfigMap.
        await _hub.SetComplianceAsync("upgrade", new() { ["spoke1"] = "NonCompliant" });
        var precache = new JsonObject
        {
            ["clusters"] = Hub.Arr("spoke1"),
            ["managedPolicies"] = Hub.Arr("upgrade"),
            ["preCaching"] = true,
            ["preCachingConfigRef"] = new JsonObject { ["name"] = "pcc", ["namespace"] = Hub.CguNs },
            ["enable"] = false,
            ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 1 },
        };
        await _hub.CguAsync("precache", precache);
        await _hub.WaitCguAsync("precache", c => c.TryGetProperty("status", out var st) && st.TryGetProperty("precaching", out _), "pre-caching started");
        await _hub.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("ran.openshift.io", "v1alpha1", Hub.CguNs, "clustergroupupgrades", "precache");
        await Eventually.TrueAsync(() => _hub.Cgu("precache").Result is null, "the pre-caching CGU gone");

        // A scrape of the secure /metrics: the operator asks the API server who the caller is and whether they may.
        using (var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator }))
        {
            using var scrape = new HttpRequestMessage(HttpMethod.Get, new Uri(op.Probes!.MetricsUrls.Single(), "/metrics"));
            scrape.Headers.Authorization = new("Bearer", Talm.KubeApi.Auth.StaticTokens.LabToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.SendAsync(scrape)).StatusCode);
        }

        var rules = Rules();
        var calls = spy.Calls.Distinct().ToList();
        var denied = calls.Where(c => !Allowed(rules, c)).Select(c => $"{c.Verb} {c.Resource}.{c.Group} in {c.Namespace ?? "(cluster)"}").ToList();
        Assert.True(denied.Count == 0, "the shipped RBAC denies: " + string.Join("; ", denied));

        // The scenario really exercised the writes the rules exist for.
        var used = calls.Select(c => $"{c.Verb} {c.Resource}").ToHashSet();
        foreach (var expected in new[] { "update clustergroupupgrades/status", "patch clustergroupupgrades", "create managedclusteractions",
                     "create managedclusterviews", "delete managedclusterviews", "create placements", "update placements", "create placementbindings",
                     "delete placements", "patch managedclusters", "create events", "watch policies", "update leases",
                     "list manifestworks", "list manifestworkreplicasets", "get precachingconfigs", "get configmaps",
                     "create tokenreviews", "create subjectaccessreviews" })
        {
            Assert.Contains(expected, used);
        }
        // Events go through events.k8s.io, as the reference writes them, never through the core API.
        Assert.Contains(calls, c => c is { Group: "events.k8s.io", Resource: "events", Verb: "create" });
        Assert.DoesNotContain(calls, c => c is { Group: "", Resource: "events" });
        // And nothing is written that the engine only reads.
        Assert.DoesNotContain(calls, c => c.Resource == "policies" && c.Verb is not ("get" or "list" or "watch"));
        // The check itself refuses what the rules do not grant.
        Assert.False(Allowed(rules, ("", "secrets", "get", "talm-system")));
        Assert.False(Allowed(rules, ("coordination.k8s.io", "leases", "update", "default")));
        Assert.False(Allowed(rules, ("policy.open-cluster-management.io", "policies", "update", "ztp-policies")));
    }
}
