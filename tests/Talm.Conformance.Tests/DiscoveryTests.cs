using Talm.Conformance.Kuttl;

namespace Talm.Conformance.Tests;

/// <summary>Which files make which steps, in which order, and what the suite file says.</summary>
public sealed class DiscoveryTests
{
    private const string Step = """
        apiVersion: kuttl.dev/v1beta1
        kind: TestStep
        commands:
          - command: kubectl apply -f x.yaml
            namespaced: true
          - command: ./patch.sh
            ignoreFailure: true
            timeout: 5
        """;

    private const string Map = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: m
        """;

    [Theory]
    [InlineData("00-setup.yaml", StepFileType.Apply, 0, "setup")]
    [InlineData("01-backup-starting.yaml", StepFileType.Apply, 1, "backup-starting")]
    [InlineData("04-assert.yaml", StepFileType.Assert, 4, "")]
    [InlineData("04-errors.yaml", StepFileType.Errors, 4, "")]
    [InlineData("12-assert-more.yaml", StepFileType.Assert, 12, "")]
    [InlineData("2-Errors.yaml", StepFileType.Errors, 2, "")]
    public void File_names_give_type_number_and_step_name(string file, StepFileType type, int index, string name)
    {
        var parsed = StepFileName.Parse(file);
        Assert.Equal(type, parsed.Type);
        Assert.Equal(index, parsed.Index);
        Assert.Equal(name, parsed.StepName);
    }

    [Fact]
    public void Steps_group_by_number_in_numeric_order_and_other_files_are_ignored()
    {
        using var dir = new TempDir();
        dir.Write("t/00-setup.yaml", Step);
        dir.Write("t/00-assert.yaml", Map);
        dir.Write("t/2-apply.yaml", Map);
        dir.Write("t/10-assert.yaml", Map + "\n---\n" + Map.Replace("name: m", "name: n", StringComparison.Ordinal));
        dir.Write("t/10-errors.yaml", Map);
        dir.Write("t/README.md", "not a step");
        dir.Write("t/notes.yaml", Map);
        dir.Write("t/03-setup.sh", "#!/bin/sh");
        dir.Write("t/05-folder/apply.yaml", Map);
        dir.Write("t/05-folder/assert.yaml", Map);

        var test = TestCase.Load(Path.Combine(dir.Path, "t"), ["README*"]);

        Assert.Equal("t", test.Name);
        Assert.Equal([0, 2, 5, 10], test.Steps.Select(s => s.Index));
        var first = test.Steps[0];
        Assert.Equal("00-setup", first.Label);
        Assert.Equal(2, first.Commands.Count);
        Assert.True(first.Commands[0].Namespaced);
        Assert.True(first.Commands[1].IgnoreFailure);
        Assert.Equal(5, first.Commands[1].Timeout);
        Assert.Empty(first.Apply);
        Assert.Single(first.Asserts);
        Assert.Equal("02-apply", test.Steps[1].Label);
        Assert.Single(test.Steps[1].Apply);
        Assert.Single(test.Steps[2].Apply);
        Assert.Single(test.Steps[2].Asserts);
        Assert.Equal("10", test.Steps[3].Label);
        Assert.Equal(2, test.Steps[3].Asserts.Count);
        Assert.Single(test.Steps[3].Errors);
    }

    [Fact]
    public void Two_TestSteps_in_one_step_is_an_error_and_unsupported_features_are_refused()
    {
        using var dir = new TempDir();
        dir.Write("a/00-one.yaml", Step);
        dir.Write("a/00-two.yaml", Step);
        Assert.Throws<InvalidDataException>(() => TestCase.Load(Path.Combine(dir.Path, "a"), []));

        dir.Write("b/00-assert.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestAssert\ntimeout: 5\n");
        Assert.Throws<NotSupportedException>(() => TestCase.Load(Path.Combine(dir.Path, "b"), []));

        dir.Write("c/00-step.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\ndelete:\n- apiVersion: v1\n  kind: Pod\n");
        Assert.Throws<NotSupportedException>(() => TestCase.Load(Path.Combine(dir.Path, "c"), []));
    }

    [Fact]
    public void The_TestStep_name_and_its_file_lists_count()
    {
        using var dir = new TempDir();
        dir.Write("t/00-setup.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\nmetadata: {name: renamed}\nassert: [more]\n");
        dir.Write("t/more/a.yaml", Map);
        dir.Write("t/more/b.yaml", Map);
        var step = TestCase.Load(Path.Combine(dir.Path, "t"), []).Steps.Single();
        Assert.Equal("00-renamed", step.Label);
        Assert.Equal(2, step.Asserts.Count);
    }

    [Fact]
    public void The_suite_gives_commands_namespace_timeout_and_test_dirs()
    {
        using var dir = new TempDir();
        var file = dir.Write("kuttl-test.yaml", """
            apiVersion: kuttl.dev/v1beta1
            kind: TestSuite
            commands:
              - command: oc apply -f setup.yaml
                namespaced: true
            crdDir: ./crds/
            namespace: default
            testDirs:
              - tests/a/
              - tests/b/
            timeout: 60
            """);
        var suite = TestSuite.Load(file);
        Assert.Single(suite.Commands);
        Assert.True(suite.Commands[0].Namespaced);
        Assert.Equal("default", suite.Namespace);
        Assert.Equal(60, suite.Timeout);
        Assert.Equal(["tests/a/", "tests/b/"], suite.TestDirs);
        Assert.Equal(["README*"], suite.IgnoreFiles);

        var bare = TestSuite.FromJson(new System.Text.Json.Nodes.JsonObject { ["kind"] = "TestSuite" }, "x");
        Assert.Equal(TestSuite.DefaultTimeout, bare.Timeout);
    }

    [Fact]
    public void Ignore_patterns_are_go_globs()
    {
        Assert.True(Glob.Matches("README*", "README.md"));
        Assert.False(Glob.Matches("README*", "00-README.yaml"));
        Assert.True(Glob.Matches("0?-skip.yaml", "01-skip.yaml"));
        Assert.True(Glob.Matches("[ab]*.yaml", "a1.yaml"));
        Assert.False(Glob.Matches("[^ab]*.yaml", "a1.yaml"));
    }
}
