using System.Text.Json.Nodes;
using Spectre.Console;
using Talm.Conformance.Kuttl;
using Talm.Conformance.Overrides;
using Talm.Conformance.Run;

namespace Talm.Conformance.Tests;

/// <summary>Our deliberate deviations: named deltas with a reason, applied at run time to one step's asserts or errors.</summary>
public sealed class OverrideTests
{
    private const string Step4Assert = """
        apiVersion: ran.openshift.io/v1alpha1
        kind: ClusterGroupUpgrade
        metadata:
          name: cgu
        status:
          placements: [p1]
          conditions:
          - type: Progressing
            reason: Hanging
        ---
        apiVersion: action.open-cluster-management.io/v1beta1
        kind: ManagedClusterAction
        metadata: {name: precache-job-create, namespace: spoke1}
        spec: {kube: {template: {spec: {activeDeadlineSeconds: 14400, backoffLimit: 0}}}}
        ---
        apiVersion: action.open-cluster-management.io/v1beta1
        kind: ManagedClusterAction
        metadata: {name: precache-job-create, namespace: spoke2}
        spec: {kube: {template: {spec: {activeDeadlineSeconds: 14400, backoffLimit: 0}}}}
        ---
        apiVersion: action.open-cluster-management.io/v1beta1
        kind: ManagedClusterAction
        metadata: {name: precache-ns-create, namespace: spoke1}
        """;

    private static TestCase Scenario(TempDir dir)
    {
        dir.Write("ref/backup-fail/00-setup.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\ncommands: []\n");
        dir.Write("ref/backup-fail/00-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: setup}\n");
        dir.Write("ref/backup-fail/04-assert.yaml", Step4Assert);
        dir.Write("ref/backup-fail/04-errors.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never}\n");
        return TestCase.Load(Path.Combine(dir.Path, "ref", "backup-fail"), []);
    }

    private static OverrideSet Load(TempDir dir, string index)
    {
        dir.Write("overrides/index.yaml", index);
        return OverrideSet.Load(Path.Combine(dir.Path, "overrides"));
    }

    private static string Entry(string changes, string name = "x", string step = "4", string file = "assert") => $"""
        overrides:
          - name: {name}
            scenario: backup-fail
            step: {step}
            file: {file}
            reason: Test.
        {changes}
        """;

    [Fact]
    public void A_delta_sets_and_removes_fields_and_objects_of_one_step_and_is_named_on_it()
    {
        using var dir = new TempDir();
        var set = Load(dir, """
            overrides:
              - name: all-backups-failed-ends
                scenario: backup-fail
                step: 4
                file: assert
                reason: When every backup fails the CGU ends instead of hanging.
                set:
                  - object: {apiVersion: ran.openshift.io/v1alpha1, kind: ClusterGroupUpgrade, namespace: default, name: cgu}
                    path: status.conditions
                    value:
                      - {type: Progressing, status: "False", reason: Completed}
                      - {type: Succeeded, status: "False", reason: Failed}
                removeFields:
                  - object: {kind: ClusterGroupUpgrade, name: cgu}
                    paths: [status.placements]
                  - object: {kind: ManagedClusterAction, name: precache-job-create}
                    path: spec.kube.template.spec.activeDeadlineSeconds
                remove:
                  - {kind: ManagedClusterAction, namespace: spoke1, name: precache-ns-create}
            """);
        var entry = Assert.Single(set.Entries);
        Assert.Equal(("backup-fail", 4, StepFileType.Assert, 4), (entry.Scenario, entry.Step, entry.File, entry.Changes.Count));

        var problems = new List<string>();
        var original = Scenario(dir);
        var test = set.Apply(original, "default", problems);

        Assert.Empty(problems);
        var step4 = test.Steps.Single(s => s.Index == 4);
        Assert.Equal(["all-backups-failed-ends"], step4.Overrides);
        Assert.Equal(3, step4.Asserts.Count);
        var cgu = step4.Asserts[0];
        Assert.Equal(["Completed", "Failed"], cgu["status"]!["conditions"]!.AsArray().Select(c => (string?)c!["reason"]));
        Assert.Equal("False", (string?)cgu["status"]!["conditions"]![0]!["status"]);
        Assert.Null(cgu["status"]!["placements"]);
        Assert.All(step4.Asserts.Skip(1), a =>
        {
            var spec = a["spec"]!["kube"]!["template"]!["spec"]!.AsObject();
            Assert.False(spec.ContainsKey("activeDeadlineSeconds"));
            Assert.Equal(0L, (long)spec["backoffLimit"]!);
        });
        Assert.DoesNotContain(step4.Asserts, a => (string?)a["metadata"]!["name"] == "precache-ns-create");
        // The errors of the step, the other steps, and the reference's objects as loaded stay as they are.
        Assert.Equal("never", (string?)step4.Errors.Single()["metadata"]!["name"]);
        Assert.Empty(test.Steps.Single(s => s.Index == 0).Overrides);
        Assert.Equal(4, original.Steps.Single(s => s.Index == 4).Asserts.Count);
        Assert.Equal(14400L, (long)original.Steps.Single(s => s.Index == 4).Asserts[1]["spec"]!["kube"]!["template"]!["spec"]!["activeDeadlineSeconds"]!);
    }

    [Fact]
    public void An_errors_delta_changes_only_the_errors()
    {
        using var dir = new TempDir();
        var set = Load(dir, Entry("    remove:\n      - {kind: ConfigMap, name: never}\n", file: "errors"));
        var problems = new List<string>();
        var step4 = set.Apply(Scenario(dir), "default", problems).Steps.Single(s => s.Index == 4);
        Assert.Empty(problems);
        Assert.Empty(step4.Errors);
        Assert.Equal(4, step4.Asserts.Count);
    }

    [Theory]
    [InlineData("    remove:\n      - {kind: ManagedClusterAction, name: precache-gone}\n", "override x: backup-fail step 04 assert: remove ManagedClusterAction precache-gone: no such object")]
    [InlineData("    remove:\n      - {kind: ManagedClusterAction, namespace: spoke9, name: precache-ns-create}\n", "no such object")]
    [InlineData("    remove:\n      - {apiVersion: v1, kind: ManagedClusterAction}\n", "no such object")]
    [InlineData("    remove:\n      - {kind: ClusterGroupUpgrade, namespace: other, name: cgu}\n", "no such object")]
    [InlineData("    removeFields:\n      - object: {kind: ManagedClusterAction}\n        path: spec.kube.template.spec.activeDeadlineSeconds\n", "1 of 3 matching objects have no such field")]
    [InlineData("    removeFields:\n      - object: {kind: ClusterGroupUpgrade}\n        path: status.conditions[3]\n", "1 of 1 matching objects have no such field")]
    [InlineData("    set:\n      - object: {kind: ClusterGroupUpgrade}\n        path: status.backup\n        value: {}\n", "no such field")]
    public void A_change_that_finds_nothing_is_reported(string changes, string message)
    {
        using var dir = new TempDir();
        var problems = new List<string>();
        Load(dir, Entry(changes)).Apply(Scenario(dir), "default", problems);
        Assert.Contains(message, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_of_a_step_the_scenario_lacks_is_reported()
    {
        using var dir = new TempDir();
        var problems = new List<string>();
        Load(dir, Entry("    remove:\n      - {kind: ConfigMap}\n", step: "9")).Apply(Scenario(dir), "default", problems);
        Assert.Equal(["override x: backup-fail has no step 09"], problems);
    }

    [Fact]
    public async Task A_stale_override_stops_the_run_before_it_starts_and_no_overrides_runs_without_it()
    {
        using var dir = new TempDir();
        Scenario(dir);
        dir.Write("ref/kuttl-test.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\ntestDirs: [./]\ntimeout: 60\n");
        dir.Write("repo/conformance/overrides/index.yaml", Entry("    remove:\n      - {kind: ManagedClusterAction, name: precache-gone}\n"));
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No });
        console.Profile.Width = 100_000;
        var options = new ConformanceOptions
        {
            ReferenceDir = Path.Combine(dir.Path, "ref"),
            RepoDir = Path.Combine(dir.Path, "repo"),
            TestDirs = ["./"],
            LogsDir = Path.Combine(dir.Path, "logs"),
        };

        Assert.Equal(2, await new ConformanceRun(options, console, TimeProvider.System).RunAsync(CancellationToken.None));
        Assert.Contains("override x: backup-fail step 04 assert: remove ManagedClusterAction precache-gone: no such object in the reference's file", output.ToString(), StringComparison.Ordinal);

        // Without overrides the run gets past them (and stops later: this stand-in reference has no RHACM CRDs).
        output.GetStringBuilder().Clear();
        Assert.Equal(2, await new ConformanceRun(options with { NoOverrides = true }, console, TimeProvider.System).RunAsync(CancellationToken.None));
        Assert.DoesNotContain("override x", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("deploy/acm/crds", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_overrides_the_scenario_is_the_reference_s()
    {
        using var dir = new TempDir();
        var original = Scenario(dir);
        var problems = new List<string>();
        Assert.Same(original, OverrideSet.Empty.Apply(original, "default", problems));
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, remove: [{kind: A}]}\n", "reason is required")]
    [InlineData("overrides:\n  - {name: Bad_Name, scenario: s, step: 4, file: assert, reason: r, remove: [{kind: A}]}\n", "lower-case words")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: setup, reason: r, remove: [{kind: A}]}\n", "file must be assert or errors")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: four, file: assert, reason: r, remove: [{kind: A}]}\n", "step must be")]
    [InlineData("overrides:\n  - {name: x, step: 4, file: assert, reason: r, remove: [{kind: A}]}\n", "scenario is required")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r}\n", "no change")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, remove: [{name: a}]}\n", "kind is required")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, remove: [{kind: A, labels: {}}]}\n", "not labels")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, removefields: []}\n", "unknown key removefields")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, set: [{object: {kind: A}, path: a.b}]}\n", "value is required")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, removeFields: [{object: {kind: A}, path: 'a..b'}]}\n", "an empty key")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, removeFields: [{object: {kind: A}}]}\n", "give path or a list of paths")]
    [InlineData("overrides:\n  - {name: x, scenario: s, step: 4, file: assert, reason: r, remove: [{kind: A}]}\n  - {name: x, scenario: t, step: 1, file: assert, reason: r, remove: [{kind: A}]}\n", "used twice")]
    public void Every_override_needs_a_name_a_reason_a_place_and_a_change(string index, string message)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => Load(dir, index));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_copied_file_next_to_the_index_is_refused()
    {
        using var dir = new TempDir();
        dir.Write("overrides/backup-fail/04-assert.yaml", Step4Assert);
        var e = Assert.Throws<InvalidDataException>(() => Load(dir, "overrides: []\n"));
        Assert.Contains("holds only index.yaml", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spec.kube.template.spec.activeDeadlineSeconds", """{"spec":{"kube":{"template":{"spec":{}}}},"metadata":{"annotations":{"a.b/c":"1"}},"status":{"conditions":[{"type":"A"},{"type":"B"}]}}""")]
    [InlineData("metadata.annotations.\"a.b/c\"", """{"spec":{"kube":{"template":{"spec":{"activeDeadlineSeconds":1}}}},"metadata":{"annotations":{}},"status":{"conditions":[{"type":"A"},{"type":"B"}]}}""")]
    [InlineData("status.conditions[0]", """{"spec":{"kube":{"template":{"spec":{"activeDeadlineSeconds":1}}}},"metadata":{"annotations":{"a.b/c":"1"}},"status":{"conditions":[{"type":"B"}]}}""")]
    [InlineData("status.conditions[1].type", """{"spec":{"kube":{"template":{"spec":{"activeDeadlineSeconds":1}}}},"metadata":{"annotations":{"a.b/c":"1"}},"status":{"conditions":[{"type":"A"},{}]}}""")]
    public void A_field_path_names_keys_quoted_keys_and_list_items(string path, string after)
    {
        var obj = JsonNode.Parse("""{"spec":{"kube":{"template":{"spec":{"activeDeadlineSeconds":1}}}},"metadata":{"annotations":{"a.b/c":"1"}},"status":{"conditions":[{"type":"A"},{"type":"B"}]}}""")!.AsObject();
        var parsed = FieldPath.Parse(path);
        Assert.True(parsed.Remove(obj));
        Assert.Equal(after, obj.ToJsonString());
        Assert.False(FieldPath.Parse("status.conditions[5]").Remove(obj));
        Assert.False(FieldPath.Parse("spec.nothing.here").Replace(obj, JsonValue.Create(1)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.")]
    [InlineData("[0]")]
    [InlineData("a[x]")]
    [InlineData("a.\"b")]
    [InlineData("a[0]b")]
    public void A_malformed_field_path_is_refused(string path) => Assert.Throws<FormatException>(() => FieldPath.Parse(path));

    [Fact]
    public void The_repository_index_loads_and_names_its_reasons()
    {
        // The one the runner uses by default (copied next to the tests).
        var set = OverrideSet.Load(Path.Combine(AppContext.BaseDirectory, "overrides"));
        Assert.All(set.Entries, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.Contains(set.Entries, e => e.Name == "all-backups-failed-ends-the-cgu");
        Assert.Equal(4, set.Entries.Count(e => e.Name.StartsWith("immediate-reaction-to-views-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Every_repository_override_is_described_in_the_compatibility_page()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "compatibility.md"));
        var deliberate = page[page.IndexOf("## Deliberate differences", StringComparison.Ordinal)..];
        foreach (var e in OverrideSet.Load(Path.Combine(AppContext.BaseDirectory, "overrides")).Entries)
            Assert.Contains($"`{e.Name}`", deliberate, StringComparison.Ordinal);
    }
}
