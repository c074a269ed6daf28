using Talm.Api.Cgu;
using Talm.Engine.Model;

namespace Talm.Engine.Internal;

/// <summary>Ending a CGU: the final conditions, completedAt, the event, and cleanup (§5.5).</summary>
internal static class Completion
{
    public static bool IsTerminal(ClusterGroupUpgradeStatus status) =>
        Api.Meta.Conditions.Find(status.Conditions, ConditionTypes.Succeeded) is not null;

    public static void Finish(DecisionContext ctx, string progressingReason, bool succeeded, string succeededReason, string message)
    {
        ctx.SetCondition(ConditionTypes.Progressing, false, progressingReason, message);
        ctx.SetCondition(ConditionTypes.Succeeded, succeeded, succeededReason, message);
        ctx.Progress.CompletedAt = ctx.Now;
        var kind = succeeded ? EngineEventKind.Completed : progressingReason == ConditionReasons.TimedOut ? EngineEventKind.TimedOut : EngineEventKind.Failed;
        ctx.Event(kind, succeededReason, message, warning: !succeeded);
        if (ctx.Spec.Actions?.AfterCompletion?.ShouldDeleteObjects ?? true)
            Cleanup(ctx, backupToo: true);
    }

    public static void Cleanup(DecisionContext ctx, bool backupToo)
    {
        Placements.DeleteAll(ctx);
        if (backupToo)
        {
            new BackupMachine(ctx).Cleanup();
            new PrecacheMachine(ctx).Cleanup();
        }
        ctx.Event(EngineEventKind.CleanedUp, "CleanedUp", "Removed the hub objects created for this ClusterGroupUpgrade");
    }
}
