using System.Text.Json.Nodes;
using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>
/// TokenReview and SubjectAccessReview through stock kubectl: tokens from the token file (and the
/// kubeconfig's own), decisions from the RBAC objects kubectl stored.
/// </summary>
public sealed class ReviewTests
{
    private const string Rbac = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: metrics-reader}
        rules:
        - nonResourceURLs: [/metrics]
          verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: metrics-reader}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics-reader}
        subjects:
        - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: monitoring}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: cm-reader, namespace: team}
        rules:
        - apiGroups: [""]
          resources: [configmaps]
          resourceNames: [settings]
          verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: cm-reader, namespace: team}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
        subjects:
        - {kind: ServiceAccount, name: app, namespace: team}
        """;

    private static async Task<JsonObject> CreateAsync(Kubectl kubectl, string review) =>
        JsonNode.Parse(await kubectl.OkWithInputAsync(review, "create", "-f", "-", "-o", "json"))!["status"]!.AsObject();

    private static string Sar(string user, string groups, string attributes) =>
        "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"" + user + "\",\"groups\":["
        + groups + "]," + attributes + "}}";

    [Fact]
    public async Task Tokens_from_the_token_file_and_decisions_from_stored_RBAC()
    {
        var dir = Directory.CreateTempSubdirectory("talm-reviews-").FullName;
        var tokens = Path.Combine(dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, "# token,user,uid,groups\nt-prom,prometheus,uid-1,\"monitoring,extra\"\n");
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { TokenAuthFile = tokens });
        using var kubectl = new Kubectl(server.KubeconfigPath);
        await kubectl.OkAsync("create", "namespace", "team");
        await kubectl.OkWithInputAsync(Rbac, "apply", "-f", "-");

        var who = await CreateAsync(kubectl, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t-prom"}}""");
        Assert.True(who["authenticated"]!.GetValue<bool>());
        Assert.Equal("prometheus", who["user"]!["username"]!.GetValue<string>());
        Assert.Equal(["monitoring", "extra", "system:authenticated"], who["user"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        var lab = await CreateAsync(kubectl, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"lab"}}""");
        Assert.Contains("system:masters", lab["user"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        var nobody = await CreateAsync(kubectl, """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t-unknown"}}""");
        Assert.False(nobody["authenticated"]!.GetValue<bool>());

        const string metrics = "\"nonResourceAttributes\":{\"path\":\"/metrics\",\"verb\":\"get\"}";
        Assert.True((await CreateAsync(kubectl, Sar("prometheus", "\"monitoring\"", metrics)))["allowed"]!.GetValue<bool>());
        Assert.False((await CreateAsync(kubectl, Sar("someone", "\"system:authenticated\"", metrics)))["allowed"]!.GetValue<bool>());
        Assert.False((await CreateAsync(kubectl, Sar("prometheus", "\"monitoring\"",
            "\"nonResourceAttributes\":{\"path\":\"/metrics\",\"verb\":\"post\"}")))["allowed"]!.GetValue<bool>());
        Assert.True((await CreateAsync(kubectl, Sar("admin", "\"system:masters\"", metrics)))["allowed"]!.GetValue<bool>());

        // A RoleBinding to a ServiceAccount grants in its namespace only, and only the named object.
        static string Cm(string ns, string name) =>
            "\"resourceAttributes\":{\"namespace\":\"" + ns + "\",\"verb\":\"get\",\"group\":\"\",\"resource\":\"configmaps\",\"name\":\"" + name + "\"}";
        const string app = "system:serviceaccount:team:app";
        Assert.True((await CreateAsync(kubectl, Sar(app, "", Cm("team", "settings"))))["allowed"]!.GetValue<bool>());
        Assert.False((await CreateAsync(kubectl, Sar(app, "", Cm("team", "other"))))["allowed"]!.GetValue<bool>());
        Assert.False((await CreateAsync(kubectl, Sar(app, "", Cm("elsewhere", "settings"))))["allowed"]!.GetValue<bool>());

        // Reviews are answered, never stored.
        var (code, _, err) = await kubectl.RunAsync(null, "get", "tokenreviews");
        Assert.NotEqual(0, code);
        Assert.Contains("MethodNotAllowed", err + "", StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
