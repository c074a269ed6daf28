using Talm.Conformance.Kube;
using Talm.Conformance.Kuttl;
using Talm.Conformance.Run;
using Talm.KubeApi;

namespace Talm.Conformance.Tests;

/// <summary>Apply, assert and errors against the real embedded API server, with kuttl's namespace rules.</summary>
public sealed class ObjectChecksTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private KubeClient _kube = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        _kube = new KubeClient(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _kube.Dispose();
        await _server.DisposeAsync();
    }

    private static Task<string?> Assert_(ObjectChecks checks, string yaml) => checks.AssertAsync(KuttlYaml.ParseObjects(yaml).Single(), CancellationToken.None);

    private static Task<string?> Absent(ObjectChecks checks, string yaml) => checks.AbsentAsync(KuttlYaml.ParseObjects(yaml).Single(), CancellationToken.None);

    private static Task<CreatedObject?> Apply(ObjectChecks checks, string yaml) => checks.ApplyAsync(KuttlYaml.ParseObjects(yaml).Single(), CancellationToken.None);

    [Fact]
    public async Task An_object_without_a_namespace_goes_to_the_test_namespace_when_its_kind_is_namespaced()
    {
        var checks = new ObjectChecks(_kube, "default");
        var created = await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\ndata: {a: '1'}\n");
        Assert.Equal("default", created!.Namespace);
        Assert.Null(await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\ndata: {a: '1'}\n"));
        // The expected object gets the namespace too, so asking for another one fails.
        Assert.Equal("object ConfigMap kube-system/one not found",
            await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: kube-system}\n"));

        // A cluster-scoped kind keeps no namespace.
        var ns = await Apply(checks, "apiVersion: v1\nkind: Namespace\nmetadata: {name: spoke9}\n");
        Assert.Null(ns!.Namespace);
        Assert.Null(await Assert_(checks, "apiVersion: v1\nkind: Namespace\nmetadata: {name: spoke9}\n"));
        Assert.Equal("object Namespace spoke8 not found", await Assert_(checks, "apiVersion: v1\nkind: Namespace\nmetadata: {name: spoke8}\n"));
    }

    [Fact]
    public async Task Apply_merges_into_what_exists_and_reports_only_what_it_created()
    {
        var checks = new ObjectChecks(_kube, "default");
        Assert.NotNull(await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {a: '1', b: '2'}\n"));
        Assert.Null(await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {b: '3'}\n"));
        Assert.Null(await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {a: '1', b: '3'}\n"));
        Assert.Equal("ConfigMap default/m: data.b: want \"2\", got \"3\"",
            await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {b: '2'}\n"));
    }

    [Fact]
    public async Task An_object_without_a_name_matches_any_object_of_its_kind_with_its_labels()
    {
        var checks = new ObjectChecks(_kube, "default");
        await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: x}}\ndata: {v: one}\n");
        await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, labels: {app: x}}\ndata: {v: two}\n");
        await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app: y}}\ndata: {v: three}\n");

        Assert.Null(await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {app: x}}\ndata: {v: two}\n"));
        Assert.Equal("none of the 2 ConfigMap in default with labels app=x matches; a: data.v: want \"three\", got \"one\"",
            await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {app: x}}\ndata: {v: three}\n"));
        Assert.Equal("no ConfigMap in spoke1 found",
            await Assert_(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: spoke1}\n"));
    }

    [Fact]
    public async Task An_errors_entry_fails_only_when_an_object_matches_it()
    {
        var checks = new ObjectChecks(_kube, "default");
        await Apply(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: present}\ndata: {state: done}\n");

        Assert.Null(await Absent(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: missing}\n"));
        Assert.Null(await Absent(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: present}\ndata: {state: running}\n"));
        Assert.Equal("object ConfigMap default/present exists and matches an errors entry",
            await Absent(checks, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: present}\n"));
        Assert.Equal("object ConfigMap default/present exists and matches an errors entry",
            await Absent(checks, "apiVersion: v1\nkind: ConfigMap\ndata: {state: done}\n"));
    }

    [Fact]
    public async Task A_kind_the_hub_does_not_serve_is_a_difference()
    {
        var checks = new ObjectChecks(_kube, "default");
        Assert.Equal("the hub serves no kind ManagedClusterView in view.open-cluster-management.io/v1beta1 (is its CRD installed?)",
            await Assert_(checks, "apiVersion: view.open-cluster-management.io/v1beta1\nkind: ManagedClusterView\nmetadata: {name: v, namespace: spoke1}\n"));
    }
}
