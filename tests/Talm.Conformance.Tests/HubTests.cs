using Talm.Conformance.Run;
using Talm.Recovery.Platform;

namespace Talm.Conformance.Tests;

/// <summary>A hub as the runner starts it: the real talm lab serve, talm operator and kubectl proxy as processes.</summary>
public sealed class HubTests
{
    [Fact]
    public async Task A_hub_serves_the_crds_runs_the_operator_and_proxies_for_the_scripts()
    {
        using var dir = new TempDir();
        // A CRD file as the reference ships them: with a sample object next to the CRD that must not be created.
        var acm = dir.Write("acm/views.yaml", """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: managedclusterviews.view.open-cluster-management.io
            spec:
              group: view.open-cluster-management.io
              names: {kind: ManagedClusterView, listKind: ManagedClusterViewList, plural: managedclusterviews, singular: managedclusterview}
              scope: Namespaced
              versions:
              - name: v1beta1
                served: true
                storage: true
                subresources: {status: {}}
                schema:
                  openAPIV3Schema:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
            ---
            apiVersion: view.open-cluster-management.io/v1beta1
            kind: ManagedClusterView
            metadata: {name: sample, namespace: default}
            """);
        var kubectl = CommandRunner.Resolve("kubectl", dir.Path, Environment.GetEnvironmentVariable("PATH") ?? string.Empty);
        Assert.NotNull(kubectl);
        var settings = new HubSettings
        {
            TalmProgram = "dotnet",
            TalmPrefix = [Path.Combine(AppContext.BaseDirectory, "talm.dll")],
            Kubectl = kubectl,
            CrdFiles = [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "crds"), "*.yaml"), acm],
            OperatorEnvironment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PRECACHE_IMG"] = "example.org/precache:1" },
            ProxyPort = LoopbackPort.Free(),
        };

        var hubDir = Path.Combine(dir.Path, "hub");
        await using (var hub = await Hub.StartAsync(settings, hubDir, CancellationToken.None))
        {
            Assert.Null(hub.Problem);
            Assert.NotNull(await hub.Kube.ResolveAsync("ran.openshift.io/v1alpha1", "ClusterGroupUpgrade", CancellationToken.None));
            var views = await hub.Kube.ResolveAsync("view.open-cluster-management.io/v1beta1", "ManagedClusterView", CancellationToken.None);
            Assert.NotNull(views);
            Assert.Empty(await hub.Kube.ListAsync(views, "default", new Dictionary<string, string>(), CancellationToken.None));

            using var http = new HttpClient();
            var viaProxy = await http.GetStringAsync($"http://127.0.0.1:{settings.ProxyPort}/apis/view.open-cluster-management.io/v1beta1");
            Assert.Contains("managedclusterviews", viaProxy, StringComparison.Ordinal);
        }

        Assert.Contains("talm", await File.ReadAllTextAsync(Path.Combine(hubDir, "operator.log")), StringComparison.Ordinal);
        Assert.Contains("serving http://127.0.0.1:", await File.ReadAllTextAsync(Path.Combine(hubDir, "server.log")), StringComparison.Ordinal);
        Assert.Contains("Starting to serve on", await File.ReadAllTextAsync(Path.Combine(hubDir, "proxy.log")), StringComparison.Ordinal);
    }
}
