using System.Text.Json.Nodes;
using Talm.Operator.Kube;

namespace Talm.Operator.Tests;

/// <summary>A CGU with a value the CRD admits but talm cannot hold is reported on its own status and holds up no other CGU.</summary>
public sealed class InvalidSpecTests : IAsyncLifetime
{
    private Hub _hub = null!;

    public async Task InitializeAsync() => _hub = await Hub.StartWithTwoSpokesAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static JsonObject Spec(string cluster, JsonNode? timeout = null) => new()
    {
        ["clusters"] = Hub.Arr(cluster),
        ["managedPolicies"] = Hub.Arr("upgrade"),
        ["enable"] = false,
        ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 1, ["timeout"] = timeout ?? 240 },
    };

    [Fact]
    public async Task A_timeout_beyond_the_integer_range_gets_validated_false_with_the_field_and_the_limit_and_others_go_on()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("bad", Spec("spoke1", JsonValue.Create(long.MaxValue)));
        await _hub.CguAsync("good", Spec("spoke2"));

        await _hub.WaitConditionAsync("good", "Progressing", "False", "NotEnabled");
        var bad = await _hub.WaitConditionAsync("bad", "Validated", "False", "InvalidSpec",
            "Invalid spec: spec.remediationStrategy.timeout: Invalid value: 9223372036854775807: must be less than or equal to 2147483647");
        Assert.Null(Hub.Condition(bad, "Progressing"));
        var warning = await Eventually.ValueAsync(async () => (await _hub.EventsAsync()).SingleOrDefault(e => e.InvolvedObject.Name == "bad" && e.Reason == "CguValidationFailure"),
            _ => true, "the validation failure Event on the bad CGU");
        Assert.Equal("Warning", warning.Type);
        Assert.Contains("spec.remediationStrategy.timeout", warning.Message, StringComparison.Ordinal);

        // Another CGU created now is not held up either, and fixing the value lets the bad one be validated.
        await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "good", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["x"] = "y" } } });
        await _hub.PatchAsync(WatchedKind.ClusterGroupUpgrade, Hub.CguNs, "bad",
            new JsonObject { ["spec"] = new JsonObject { ["remediationStrategy"] = new JsonObject { ["timeout"] = 60 } } });
        await _hub.WaitConditionAsync("bad", "Validated", "True", "ValidationCompleted");
        await _hub.WaitConditionAsync("bad", "Progressing", "False", "NotEnabled");
    }

    [Fact]
    public async Task Another_field_beyond_the_models_range_is_reported_as_well()
    {
        await _hub.StartOperatorAsync();
        await _hub.CguAsync("huge", new JsonObject
        {
            ["clusters"] = Hub.Arr("spoke1"), ["managedPolicies"] = Hub.Arr("upgrade"), ["enable"] = false,
            ["remediationStrategy"] = new JsonObject { ["maxConcurrency"] = 4294967296L },
        });
        await _hub.WaitConditionAsync("huge", "Validated", "False", "InvalidSpec",
            "Invalid spec: spec.remediationStrategy.maxConcurrency: Invalid value: 4294967296: must be less than or equal to 2147483647");
    }
}
