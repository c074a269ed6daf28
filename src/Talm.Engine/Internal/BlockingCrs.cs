using Talm.Api.Cgu;
using Talm.Api.Meta;

namespace Talm.Engine.Internal;

/// <summary>Step 9: every blocking CGU must exist and have Succeeded True.</summary>
internal static class BlockingCrs
{
    public static bool Satisfied(DecisionContext ctx)
    {
        var missing = new List<string>();
        var incomplete = new List<string>();
        foreach (var reference in ctx.Spec.BlockingCRs ?? [])
        {
            var name = reference.Name ?? "";
            var ns = string.IsNullOrEmpty(reference.Namespace) ? ctx.Cgu.Namespace : reference.Namespace;
            var other = ctx.Index.Cgu(ns, name);
            if (other is null)
                missing.Add(name);
            else if (Conditions.Find(other.Status?.Conditions, ConditionTypes.Succeeded) is not { IsTrue: true })
                incomplete.Add(name);
        }
        if (missing.Count > 0)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.MissingBlockingCR, Messages.MissingBlockingCrs(missing));
            ctx.RequeueWithin(DecisionContext.PollInterval);
            return false;
        }
        if (incomplete.Count > 0)
        {
            ctx.SetCondition(ConditionTypes.Progressing, false, ConditionReasons.IncompleteBlockingCR, Messages.IncompleteBlockingCrs(incomplete));
            ctx.RequeueWithin(DecisionContext.PollInterval);
            return false;
        }
        return true;
    }
}
