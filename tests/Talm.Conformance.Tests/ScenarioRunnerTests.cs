using System.Collections;
using Talm.Conformance.Kube;
using Talm.Conformance.Kuttl;
using Talm.Conformance.Run;
using Talm.KubeApi;

namespace Talm.Conformance.Tests;

/// <summary>Whole kuttl tests (our own small ones) against the embedded API server, with stock kubectl and scripts.</summary>
public sealed class ScenarioRunnerTests : IAsyncLifetime
{
    private KubeApiServer _server = null!;
    private KubeClient _kube = null!;
    private readonly TempDir _dir = new();
    private readonly StringWriter _log = new();

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions());
        _kube = new KubeClient(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _kube.Dispose();
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<TestOutcome> RunAsync(string test, Func<string?>? hubProblem = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        env["KUBECONFIG"] = _server.KubeconfigPath;
        var settings = new StepSettings
        {
            Namespace = "default",
            CommandTimeout = 30,
            StepTimeout = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromMilliseconds(200),
        };
        var runner = new ScenarioRunner(_kube, new CommandRunner(env, _log), settings, _log, TimeProvider.System);
        return await runner.RunAsync(TestCase.Load(Path.Combine(_dir.Path, test), ["README*"]), hubProblem ?? (() => null), CancellationToken.None);
    }

    private const string Setup = """
        apiVersion: kuttl.dev/v1beta1
        kind: TestStep
        commands:
          # kubectl gets the test namespace appended; the script finds it in $NAMESPACE.
          - command: kubectl create configmap made-by-kubectl --from-literal=a=b
            namespaced: true
          - command: ./label.sh zero
          - command: sh -c 'exit 3'
            ignoreFailure: true
        """;

    private const string Label = """
        #!/bin/sh
        exec kubectl label configmap made-by-kubectl --namespace "$NAMESPACE" "step=$1"
        """;

    [Fact]
    public async Task Commands_objects_asserts_and_errors_pass_in_order_and_created_objects_are_removed()
    {
        _dir.Write("t/00-setup.yaml", Setup);
        _dir.Script("t/label.sh", Label);
        _dir.Write("t/00-assert.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: made-by-kubectl
              labels: {step: zero}
            data: {a: b}
            """);
        _dir.Write("t/01-apply.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {x: z}\n");
        _dir.Write("t/01-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {x: z}\n");
        _dir.Write("t/01-errors.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: made-by-kubectl}\ndata: {a: not-b}\n");

        var outcome = await RunAsync("t");

        Assert.True(outcome.Passed, _log.ToString());
        var configMaps = await _kube.ResolveAsync("v1", "ConfigMap", CancellationToken.None);
        Assert.NotNull(await _kube.GetAsync(configMaps!, "default", "made-by-kubectl", CancellationToken.None));
        Assert.Null(await _kube.GetAsync(configMaps!, "default", "applied", CancellationToken.None));
        Assert.Contains("running command: [kubectl create configmap made-by-kubectl --from-literal=a=b --namespace default]", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_failing_step_and_its_first_difference_are_reported()
    {
        _dir.Write("t/00-setup.yaml", Setup);
        _dir.Script("t/label.sh", Label);
        _dir.Write("t/01-check.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\n");
        _dir.Write("t/01-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: made-by-kubectl, labels: {step: one}}\n");
        _dir.Write("t/02-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never-reached}\n");

        var outcome = await RunAsync("t");

        Assert.False(outcome.Passed);
        Assert.Equal("01-check", outcome.FailingStep);
        Assert.Equal("ConfigMap default/made-by-kubectl: metadata.labels.step: want \"one\", got \"zero\"", outcome.Difference);
        Assert.InRange(outcome.Duration, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(20));
        // The log shows the object as the hub had it, for whoever looks into the failure.
        Assert.Contains("--- as the hub has ConfigMap default/made-by-kubectl:", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"step\": \"zero\"", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_command_ends_the_step_without_waiting_and_skips_the_rest()
    {
        _dir.Write("t/00-setup.yaml", """
            apiVersion: kuttl.dev/v1beta1
            kind: TestStep
            commands:
              - command: sh -c 'exit 3'
              - command: kubectl create configmap skipped
                namespaced: true
            """);
        _dir.Write("t/00-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped}\n");

        var outcome = await RunAsync("t");

        Assert.Equal("command \"sh -c 'exit 3'\" failed, exit status 3", outcome.Difference);
        Assert.Contains("command failure, skipping 1 additional commands", _log.ToString(), StringComparison.Ordinal);
        Assert.True(outcome.Duration < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_command_over_its_timeout_is_stopped()
    {
        _dir.Write("t/00-wait.yaml", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\ncommands:\n  - command: sleep 30\n    timeout: 1\n");
        var outcome = await RunAsync("t");
        Assert.Equal("command \"sleep 30\" exceeded 1 sec timeout", outcome.Difference);
    }

    [Fact]
    public async Task A_hub_that_stopped_is_named_before_the_differences()
    {
        _dir.Write("t/00-assert.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never}\n");
        var outcome = await RunAsync("t", () => "talm operator exited with code 1");
        Assert.Equal("talm operator exited with code 1", outcome.Difference);
        Assert.Equal(["talm operator exited with code 1", "object ConfigMap default/never not found"], outcome.Differences);
    }
}
