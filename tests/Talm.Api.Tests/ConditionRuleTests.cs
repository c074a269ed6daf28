using Talm.Api.Meta;

namespace Talm.Api.Tests;

public sealed class ConditionRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(5);

    [Fact]
    public void New_condition_is_appended_with_the_current_time()
    {
        var list = new List<Condition>();
        Assert.True(Conditions.Set(list, "A", true, "R", "m", T0));
        var c = Assert.Single(list);
        Assert.Equal(("A", "True", "R", "m", (DateTimeOffset?)T0), (c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime));
    }

    [Fact]
    public void Same_status_updates_in_place_and_keeps_the_transition_time()
    {
        var list = new List<Condition>();
        Conditions.Set(list, "A", false, "R1", "m1", T0);
        Conditions.Set(list, "B", true, "R", "m", T0);
        Assert.True(Conditions.Set(list, "A", false, "R2", "m2", T1));
        Assert.Equal(["A", "B"], list.Select(c => c.Type));
        Assert.Equal(("R2", "m2", (DateTimeOffset?)T0), (list[0].Reason, list[0].Message, list[0].LastTransitionTime));
    }

    [Fact]
    public void Unchanged_condition_reports_no_change()
    {
        var list = new List<Condition>();
        Conditions.Set(list, "A", false, "R", "m", T0);
        Assert.False(Conditions.Set(list, "A", false, "R", "m", T1));
        Assert.Equal(T0, list[0].LastTransitionTime);
    }

    [Fact]
    public void Flipped_status_moves_to_the_end_with_a_new_transition_time()
    {
        var list = new List<Condition>();
        Conditions.Set(list, "A", false, "R", "m", T0);
        Conditions.Set(list, "B", true, "R", "m", T0);
        Conditions.Set(list, "C", true, "R", "m", T0);
        Conditions.Set(list, "A", true, "Done", "done", T1);
        Assert.Equal(["B", "C", "A"], list.Select(c => c.Type));
        Assert.Equal(("True", "Done", (DateTimeOffset?)T1), (list[2].Status, list[2].Reason, list[2].LastTransitionTime));
    }

    [Fact]
    public void Flipped_status_of_the_last_condition_stays_last()
    {
        var list = new List<Condition>();
        Conditions.Set(list, "A", true, "R", "m", T0);
        Conditions.Set(list, "B", false, "R", "m", T0);
        Conditions.Set(list, "B", true, "R", "m", T1);
        Assert.Equal(["A", "B"], list.Select(c => c.Type));
        Assert.Equal(T1, list[1].LastTransitionTime);
    }

    [Fact]
    public void Unknown_fields_of_a_condition_survive_a_flip()
    {
        var list = new List<Condition>
        {
            Json.KubeJson.Deserialize<Condition>("""{"type":"A","status":"False","reason":"R","message":"m","lastTransitionTime":"2026-01-01T10:00:00Z","extra":1}"""),
            new() { Type = "B", Status = "True" },
        };
        Conditions.Set(list, "A", true, "R", "m", T1);
        Assert.Equal("""{"type":"A","status":"True","reason":"R","message":"m","lastTransitionTime":"2026-01-01T10:05:00Z","extra":1}""", Json.KubeJson.Serialize(list[1]));
    }
}
