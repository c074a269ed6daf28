using Talm.Conformance.Kuttl;
using Talm.Conformance.Overrides;

namespace Talm.Conformance.Tests;

/// <summary>Our deliberate deviations: named in an index with a reason, each replacing one step's asserts or errors.</summary>
public sealed class OverrideTests
{
    private const string Cgu = """
        apiVersion: ran.openshift.io/v1alpha1
        kind: ClusterGroupUpgrade
        metadata:
          name: cgu
        status:
          conditions:
          - type: Succeeded
            reason: REASON_HERE
        """;

    private static TestCase Scenario(TempDir dir)
    {
        dir.Write("ref/backup-fail/00-setup.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\ncommands: []\n");
        dir.Write("ref/backup-fail/00-assert.yaml", Cgu.Replace("REASON_HERE", "Setup", StringComparison.Ordinal));
        dir.Write("ref/backup-fail/04-assert.yaml", Cgu.Replace("REASON_HERE", "Hanging", StringComparison.Ordinal));
        dir.Write("ref/backup-fail/04-errors.yaml", Cgu.Replace("REASON_HERE", "Never", StringComparison.Ordinal));
        return TestCase.Load(Path.Combine(dir.Path, "ref", "backup-fail"), []);
    }

    [Fact]
    public void An_override_replaces_one_step_asserts_and_is_named_on_that_step()
    {
        using var dir = new TempDir();
        dir.Write("overrides/index.yaml", """
            overrides:
              - name: all-backups-failed-ends
                file: backup-fail/04-assert.yaml
                reason: When every backup fails the CGU ends instead of hanging.
            """);
        dir.Write("overrides/backup-fail/04-assert.yaml", Cgu.Replace("REASON_HERE", "Ended", StringComparison.Ordinal));
        var set = OverrideSet.Load(Path.Combine(dir.Path, "overrides"));
        var entry = Assert.Single(set.Entries);
        Assert.Equal(("backup-fail", 4, StepFileType.Assert), (entry.Scenario, entry.Step, entry.Replaces));

        var unused = new List<string>();
        var test = set.Apply(Scenario(dir), unused);

        Assert.Empty(unused);
        var step4 = test.Steps.Single(s => s.Index == 4);
        Assert.Equal(["all-backups-failed-ends"], step4.Overrides);
        Assert.Equal("Ended", (string?)step4.Asserts.Single()["status"]!["conditions"]![0]!["reason"]);
        Assert.Equal("Never", (string?)step4.Errors.Single()["status"]!["conditions"]![0]!["reason"]);
        var step0 = test.Steps.Single(s => s.Index == 0);
        Assert.Empty(step0.Overrides);
        Assert.Equal("Setup", (string?)step0.Asserts.Single()["status"]!["conditions"]![0]!["reason"]);
    }

    [Fact]
    public void An_errors_override_can_empty_a_step_errors_and_a_missing_step_is_reported()
    {
        using var dir = new TempDir();
        dir.Write("overrides/index.yaml", """
            overrides:
              - name: no-errors-at-4
                file: backup-fail/04-errors.yaml
                reason: Test.
              - name: gone-step
                file: backup-fail/09-assert.yaml
                reason: Test.
            """);
        dir.Write("overrides/backup-fail/04-errors.yaml", "# nothing may be absent here\n");
        dir.Write("overrides/backup-fail/09-assert.yaml", Cgu);
        var unused = new List<string>();
        var test = OverrideSet.Load(Path.Combine(dir.Path, "overrides")).Apply(Scenario(dir), unused);
        Assert.Empty(test.Steps.Single(s => s.Index == 4).Errors);
        Assert.Single(test.Steps.Single(s => s.Index == 4).Asserts);
        Assert.Equal(["override gone-step: backup-fail has no step 09"], unused);
    }

    [Theory]
    [InlineData("overrides:\n  - name: x\n    file: backup-fail/04-assert.yaml\n", "reason is required")]
    [InlineData("overrides:\n  - name: Bad_Name\n    file: backup-fail/04-assert.yaml\n    reason: r\n", "lower-case words")]
    [InlineData("overrides:\n  - name: x\n    file: backup-fail/04-setup.yaml\n    reason: r\n", "must be <scenario>/<NN>-assert.yaml")]
    [InlineData("overrides:\n  - name: x\n    file: backup-fail/05-assert.yaml\n    reason: r\n", "does not exist")]
    [InlineData("overrides: []\n", "not listed in")]
    [InlineData("overrides:\n  - {name: x, file: backup-fail/04-assert.yaml, reason: r}\n  - {name: x, file: backup-fail/04-assert.yaml, reason: r}\n", "used twice")]
    public void Every_override_needs_a_name_a_reason_and_its_file(string index, string message)
    {
        using var dir = new TempDir();
        dir.Write("overrides/index.yaml", index);
        dir.Write("overrides/backup-fail/04-assert.yaml", Cgu);
        var e = Assert.Throws<InvalidDataException>(() => OverrideSet.Load(Path.Combine(dir.Path, "overrides")));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_repository_index_loads()
    {
        // The one the runner uses by default (copied next to the tests): always valid, even while it lists nothing.
        var set = OverrideSet.Load(Path.Combine(AppContext.BaseDirectory, "overrides"));
        Assert.All(set.Entries, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
    }
}
