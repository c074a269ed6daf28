namespace Talm.Api.Meta;

/// <summary>
/// The condition rule of the CGU contract: printers show the last condition, so a condition whose
/// status flips moves to the end; otherwise it is updated in place, and lastTransitionTime changes
/// only when the status changes.
/// </summary>
public static class Conditions
{
    public static Condition? Find(IReadOnlyList<Condition>? conditions, string type)
    {
        if (conditions is null)
            return null;
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i].Type == type)
                return conditions[i];
        }
        return null;
    }

    /// <summary>Sets a condition in <paramref name="conditions"/> following the rule above.</summary>
    /// <returns>True when anything changed.</returns>
    public static bool Set(List<Condition> conditions, string type, bool status, string reason, string message, DateTimeOffset now) =>
        Set(conditions, type, ConditionStatus.Of(status), reason, message, now);

    public static bool Set(List<Condition> conditions, string type, string status, string reason, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var index = conditions.FindIndex(c => c.Type == type);
        if (index < 0)
        {
            conditions.Add(new Condition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now });
            return true;
        }
        var existing = conditions[index];
        if (existing.Status != status)
        {
            var flipped = existing with { Status = status, Reason = reason, Message = message, LastTransitionTime = now };
            if (index == conditions.Count - 1)
            {
                conditions[index] = flipped;
            }
            else
            {
                conditions.RemoveAt(index);
                conditions.Add(flipped);
            }
            return true;
        }
        if (existing.Reason == reason && existing.Message == message)
            return false;
        conditions[index] = existing with { Reason = reason, Message = message };
        return true;
    }

    public static bool Remove(List<Condition> conditions, string type)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        return conditions.RemoveAll(c => c.Type == type) > 0;
    }
}
