using Talm.KubeApi.Tests.Support;

namespace Talm.KubeApi.Tests;

/// <summary>The server through the stock kubectl binary, the way a user drives the lab.</summary>
public sealed class KubectlTests
{
    private const string Cgu = """
        apiVersion: ran.openshift.io/v1alpha1
        kind: ClusterGroupUpgrade
        metadata:
          name: upgrade-1
          namespace: default
        spec:
          clusters: [sno1, sno2]
        """;

    private static async Task<(KubeApiServer Server, Kubectl Kubectl)> StartAsync()
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        var kubectl = new Kubectl(server.KubeconfigPath);
        var created = await kubectl.OkAsync("apply", "-f", Lab.TestData("test-cgu-crd.yaml"));
        Assert.Contains("customresourcedefinition.apiextensions.k8s.io/clustergroupupgrades.ran.openshift.io created", created, StringComparison.Ordinal);
        return (server, kubectl);
    }

    [Fact]
    public async Task Applying_a_kind_whose_CRD_is_missing_fails_as_on_a_real_server()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;

        // kubectl validates against OpenAPI v3 and, for a kind v3 does not know, asks v2 before it maps the kind.
        var (code, _, err) = await kubectl.RunAsync("""
            apiVersion: ran.openshift.io/v1alpha1
            kind: PreCachingConfig
            metadata: {name: pcc, namespace: default}
            spec: {}
            """, "apply", "-f", "-");
        Assert.NotEqual(0, code);
        Assert.Contains("no matches for kind \"PreCachingConfig\" in version \"ran.openshift.io/v1alpha1\"", err, StringComparison.Ordinal);
        Assert.DoesNotContain("openapi", err, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Apply_get_yaml_status_patch_columns_label_and_reapply()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;

        Assert.Contains("clustergroupupgrade.ran.openshift.io/upgrade-1 created", await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-"), StringComparison.Ordinal);
        var yaml = await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "yaml");
        Assert.Contains("maxConcurrency: 1", yaml, StringComparison.Ordinal);
        Assert.Contains("kubectl.kubernetes.io/last-applied-configuration", yaml, StringComparison.Ordinal);
        Assert.Contains("generation: 1", yaml, StringComparison.Ordinal);

        var before = await kubectl.OkAsync("get", "cgu");
        Assert.Matches(@"^NAME\s+AGE\s+STATE\s+DETAILS\s*\n", before);

        await kubectl.OkAsync("patch", "cgu", "upgrade-1", "--type", "merge", "--subresource", "status", "-p",
            """{"status":{"conditions":[{"type":"Progressing","status":"True","reason":"InProgress","message":"Remediating 2 clusters"}]}}""");
        var after = await kubectl.OkAsync("get", "cgu");
        Assert.Matches(@"upgrade-1\s+\d+s\s+InProgress\s+Remediating 2 clusters", after);

        Assert.Contains("unchanged", await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-"), StringComparison.Ordinal);
        var changed = Cgu.Replace("[sno1, sno2]", "[sno1, sno2, sno3]", StringComparison.Ordinal);
        Assert.Contains("configured", await kubectl.OkWithInputAsync(changed, "apply", "-f", "-"), StringComparison.Ordinal);
        Assert.Equal("2", await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.metadata.generation}"));
        Assert.Equal("InProgress", await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.status.conditions[0].reason}"));

        await kubectl.OkAsync("label", "cgu", "upgrade-1", "wave=first");
        Assert.Contains("upgrade-1", await kubectl.OkAsync("get", "cgu", "-l", "wave=first", "-o", "name"), StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await kubectl.OkAsync("get", "cgu", "-l", "wave!=first", "-o", "name")).Trim());
        Assert.Contains("clustergroupupgrade.ran.openshift.io/upgrade-1", await kubectl.OkAsync("get", "clustergroupupgrades.ran.openshift.io", "-o", "name"), StringComparison.Ordinal);

        var missing = await kubectl.RunAsync(null, "get", "cgu", "nope");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("NotFound", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_side_apply_creates_then_updates()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        Assert.Contains("serverside-applied", await kubectl.OkWithInputAsync(Cgu, "apply", "--server-side", "-f", "-"), StringComparison.Ordinal);
        var changed = Cgu.Replace("[sno1, sno2]", "[sno9]", StringComparison.Ordinal);
        await kubectl.OkWithInputAsync(changed, "apply", "--server-side", "-f", "-");
        Assert.Equal("sno9", await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.spec.clusters[*]}"));
    }

    [Fact]
    public async Task Delete_with_and_without_finalizers()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-");
        await kubectl.OkWithInputAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: held
              finalizers: [example.com/keep]
            data: {a: "1"}
            """, "apply", "-f", "-");

        Assert.Contains("deleted", await kubectl.OkAsync("delete", "cgu", "upgrade-1"), StringComparison.Ordinal);
        Assert.Contains("NotFound", (await kubectl.RunAsync(null, "get", "cgu", "upgrade-1")).Err, StringComparison.Ordinal);

        await kubectl.OkAsync("delete", "configmap", "held", "--wait=false");
        Assert.NotEqual(string.Empty, await kubectl.OkAsync("get", "configmap", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"));
        await kubectl.OkAsync("patch", "configmap", "held", "--type", "json", "-p", """[{"op":"remove","path":"/metadata/finalizers"}]""");
        Assert.Contains("NotFound", (await kubectl.RunAsync(null, "get", "configmap", "held")).Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_watch_prints_new_rows_as_status_changes()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-");
        using var watch = kubectl.Start("get", "cgu", "-w");
        try
        {
            var header = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(@"^NAME\s+AGE\s+STATE\s+DETAILS", header);
            Assert.StartsWith("upgrade-1", await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
            await kubectl.OkAsync("patch", "cgu", "upgrade-1", "--type", "merge", "--subresource", "status", "-p",
                """{"status":{"conditions":[{"type":"Succeeded","status":"True","reason":"Completed","message":"All clusters upgraded"}]}}""");
            var row = await watch.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(@"^upgrade-1\s+\S+\s+Completed\s+All clusters upgraded", row);
        }
        finally
        {
            watch.Kill();
            await watch.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Wait_for_condition_returns_when_the_status_reports_it()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-");
        using var wait = kubectl.Start("wait", "--for=condition=Succeeded", "cgu/upgrade-1", "--timeout=60s");
        try
        {
            await Task.Delay(1000);
            Assert.False(wait.HasExited, "kubectl wait must block until the condition holds");
            await kubectl.OkAsync("patch", "cgu", "upgrade-1", "--type", "merge", "--subresource", "status", "-p",
                """{"status":{"conditions":[{"type":"Succeeded","status":"True","reason":"Completed","message":"done"}]}}""");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await wait.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, wait.ExitCode);
            Assert.Contains("condition met", await wait.StandardOutput.ReadToEndAsync(), StringComparison.Ordinal);
        }
        finally
        {
            if (!wait.HasExited) wait.Kill();
        }
    }

    [Fact]
    public async Task Builtin_kinds_through_kubectl_create_and_namespace_cascade()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var kubectl = new Kubectl(server.KubeconfigPath);
        await kubectl.OkAsync("create", "namespace", "team");
        await kubectl.OkAsync("-n", "team", "create", "configmap", "settings", "--from-literal=mode=fast");
        await kubectl.OkAsync("-n", "team", "create", "secret", "generic", "creds", "--from-literal=password=s3cret");
        await kubectl.OkAsync("-n", "team", "create", "serviceaccount", "operator");
        Assert.Equal("fast", await kubectl.OkAsync("-n", "team", "get", "cm", "settings", "-o", "jsonpath={.data.mode}"));
        Assert.Equal("czNjcmV0", await kubectl.OkAsync("-n", "team", "get", "secret", "creds", "-o", "jsonpath={.data.password}"));
        Assert.Matches(@"creds\s+Opaque\s+1\s+\d+s", await kubectl.OkAsync("-n", "team", "get", "secrets"));
        Assert.Matches(@"NAME\s+DATA\s+AGE\nsettings\s+1\s+\d+s", await kubectl.OkAsync("-n", "team", "get", "configmaps"));
        Assert.Contains("operator", await kubectl.OkAsync("-n", "team", "get", "sa"), StringComparison.Ordinal);
        Assert.Matches(@"team\s+Active", await kubectl.OkAsync("get", "ns"));

        await kubectl.OkAsync("delete", "namespace", "team");
        Assert.DoesNotMatch(@"\bteam\b", await kubectl.OkAsync("get", "ns"));
        Assert.Contains("No resources found", (await kubectl.RunAsync(null, "get", "cm", "-A")).Err, StringComparison.Ordinal);
        var missingNs = await kubectl.RunAsync(null, "-n", "absent", "create", "configmap", "x");
        Assert.Contains("namespaces \"absent\" not found", missingNs.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lab_rhacm_crds_load_and_serve_their_kinds()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var kubectl = new Kubectl(server.KubeconfigPath);
        await kubectl.OkAsync("apply", "-f", Lab.LabCrds);
        var resources = await kubectl.OkAsync("api-resources");
        foreach (var expected in new[]
        {
            @"managedclusters\s+mcl,mcls\s+cluster.open-cluster-management.io/v1\s+false\s+ManagedCluster",
            @"managedclusteractions\s+action.open-cluster-management.io/v1beta1\s+true\s+ManagedClusterAction",
            @"managedclusterviews\s+mcv\s+view.open-cluster-management.io/v1beta1\s+true\s+ManagedClusterView",
            @"policies\s+plc\s+policy.open-cluster-management.io/v1\s+true\s+Policy",
            @"placementbindings\s+pb\s+policy.open-cluster-management.io/v1\s+true\s+PlacementBinding",
            @"placements\s+cluster.open-cluster-management.io/v1beta1\s+true\s+Placement",
            @"placementdecisions\s+cluster.open-cluster-management.io/v1beta1\s+true\s+PlacementDecision",
        })
        {
            Assert.Matches(expected, resources);
        }
        await kubectl.OkWithInputAsync("""
            apiVersion: cluster.open-cluster-management.io/v1
            kind: ManagedCluster
            metadata:
              name: sno1
              labels: {name: sno1}
            spec:
              hubAcceptsClient: true
            """, "apply", "-f", "-");
        await kubectl.OkAsync("patch", "managedcluster", "sno1", "--type", "merge", "--subresource", "status", "-p",
            """{"status":{"conditions":[{"type":"ManagedClusterJoined","status":"True"}]}}""");
        Assert.Matches(@"sno1\s+true\s+True\s+\d+s", await kubectl.OkAsync("get", "mcl", "-o", "wide"));
    }

    [Fact]
    public async Task The_products_cgu_crd_loads_defaults_validates_and_prints_its_columns()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        using var kubectl = new Kubectl(server.KubeconfigPath);
        await kubectl.OkAsync("apply", "-f", Path.Combine(AppContext.BaseDirectory, "crds", "ran.openshift.io_clustergroupupgrades.yaml"));
        var invalid = await kubectl.RunAsync(Cgu, "apply", "-f", "-");
        Assert.NotEqual(0, invalid.Code);
        Assert.Contains("spec.remediationStrategy: Required value", invalid.Err, StringComparison.Ordinal);

        var valid = Cgu.Replace("clusters: [sno1, sno2]", "clusters: [sno1, sno2]\n  remediationStrategy: {maxConcurrency: 2}", StringComparison.Ordinal);
        await kubectl.OkWithInputAsync(valid, "apply", "-f", "-");
        Assert.Equal("true 240", await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.spec.enable} {.spec.remediationStrategy.timeout}"));
        await kubectl.OkAsync("patch", "cgu", "upgrade-1", "--type", "merge", "--subresource", "status", "-p",
            """{"status":{"conditions":[{"type":"Progressing","status":"True","reason":"InProgress","message":"Remediating","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""");
        var table = await kubectl.OkAsync("get", "cgu");
        Assert.Matches(@"^NAME\s+AGE\s+STATE\s+DETAILS\s*\n", table);
        Assert.Matches(@"upgrade-1\s+\d+s\s+InProgress\s+Remediating", table);
    }

    [Fact]
    public async Task Server_dry_run_validates_but_stores_nothing()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        Assert.Contains("created (server dry run)", await kubectl.OkWithInputAsync(Cgu, "apply", "--dry-run=server", "-f", "-"), StringComparison.Ordinal);
        Assert.Contains("NotFound", (await kubectl.RunAsync(null, "get", "cgu", "upgrade-1")).Err, StringComparison.Ordinal);
        await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-");
        var rv = await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.metadata.resourceVersion}");
        await kubectl.OkAsync("label", "cgu", "upgrade-1", "x=y", "--dry-run=server");
        await kubectl.OkAsync("delete", "cgu", "upgrade-1", "--dry-run=server");
        Assert.Equal(rv + "|", await kubectl.OkAsync("get", "cgu", "upgrade-1", "-o", "jsonpath={.metadata.resourceVersion}|{.metadata.labels.x}"));
    }

    [Fact]
    public async Task Kubectl_strict_field_validation_rejects_fields_the_schema_does_not_declare()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        var typo = Cgu.Replace("clusters: [sno1, sno2]", "clusters: [sno1, sno2]\n  enabel: true", StringComparison.Ordinal);
        var rejected = await kubectl.RunAsync(typo, "apply", "-f", "-");
        Assert.NotEqual(0, rejected.Code);
        Assert.Contains("unknown field \"spec.enabel\"", rejected.Err, StringComparison.Ordinal);
        Assert.Contains("NotFound", (await kubectl.RunAsync(null, "get", "cgu", "upgrade-1")).Err, StringComparison.Ordinal);
        await kubectl.OkWithInputAsync(Cgu, "apply", "-f", "-");
        // An update that keeps declared fields only passes.
        Assert.Contains("configured", await kubectl.OkWithInputAsync(Cgu.Replace("sno2]", "sno3]", StringComparison.Ordinal), "apply", "-f", "-"), StringComparison.Ordinal);
    }

    /// <summary>
    /// kubectl proxy forwards with the upstream's host name and kubectl's own headers; curl through it sends
    /// every patch type. None of it may trip the server's Host, Origin or content type checks.
    /// </summary>
    [Fact]
    public async Task Kubectl_proxy_and_curl_through_it_pass_the_host_and_content_type_checks()
    {
        var (server, kubectl) = await StartAsync();
        await using var _ = server;
        using var __ = kubectl;
        using var proxy = kubectl.Start("proxy", "--port=0");
        var banner = await proxy.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var match = System.Text.RegularExpressions.Regex.Match(banner ?? "", @"Starting to serve on (127\.0\.0\.1:\d+)");
        Assert.True(match.Success, $"kubectl proxy printed: {banner}");
        var proxied = "http://" + match.Groups[1].Value;
        try
        {
            async Task<string> Curl(params string[] args)
            {
                var info = new System.Diagnostics.ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "-sS", "-w", "\n%{http_code}" }.Concat(args)) info.ArgumentList.Add(a);
                using var p = System.Diagnostics.Process.Start(info)!;
                var output = await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                return output;
            }
            var cm = proxied + "/api/v1/namespaces/default/configmaps";
            Assert.EndsWith("201", await Curl("-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},"data":{"a":"1"}}""", cm), StringComparison.Ordinal);
            Assert.EndsWith("200", await Curl("-X", "PATCH", "-H", "Content-Type: application/merge-patch+json", "--data-binary",
                """{"data":{"b":"2"}}""", cm + "/p"), StringComparison.Ordinal);
            Assert.EndsWith("200", await Curl("-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "--data-binary",
                """[{"op":"add","path":"/data/c","value":"3"}]""", cm + "/p"), StringComparison.Ordinal);
            Assert.EndsWith("200", await Curl("-X", "PATCH", "-H", "Content-Type: application/strategic-merge-patch+json", "--data-binary",
                """{"data":{"d":"4"}}""", cm + "/p"), StringComparison.Ordinal);
            Assert.EndsWith("200", await Curl("-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml", "--data-binary",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\ndata:\n  e: \"5\"\n", cm + "/p?fieldManager=curl"), StringComparison.Ordinal);
            Assert.EndsWith("200", await Curl(cm + "/p"), StringComparison.Ordinal);
            // A form post through the proxy is still refused.
            Assert.EndsWith("415", await Curl("-X", "POST", "-d", "a=b", cm), StringComparison.Ordinal);

            var data = server.Service.Store.Get("/configmaps", "default", "p")!.Node["data"]!.AsObject();
            Assert.Equal("a=1 b=2 c=3 d=4 e=5", string.Join(' ', data.Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal)));

            // kubectl itself through the proxy: its typed client sends protobuf for a ConfigMap.
            using var viaProxy = new Kubectl(WriteKubeconfig(proxied));
            await viaProxy.OkAsync("create", "configmap", "proto", "--from-literal=k=v");
            await viaProxy.OkAsync("delete", "configmap", "p");
            Assert.Equal("v", await kubectl.OkAsync("get", "cm", "proto", "-o", "jsonpath={.data.k}"));
        }
        finally
        {
            proxy.Kill(entireProcessTree: true);
            await proxy.WaitForExitAsync();
        }
    }

    private static string WriteKubeconfig(string server)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kubectl-proxy-").FullName, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: proxy, cluster: {"{"}server: "{server}"{"}"}{"}"}]
            contexts: [{"{"}name: proxy, context: {"{"}cluster: proxy, user: none{"}"}{"}"}]
            users: [{"{"}name: none, user: {"{"}{"}"}{"}"}]
            current-context: proxy
            """);
        return path;
    }
}
