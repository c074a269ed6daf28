using System.Globalization;
using System.Text;
using Talm.Recovery.Backup;
using Talm.Recovery.Restore;

namespace Talm.Cli.Commands;

/// <summary>The text of <c>talm recovery restore --dry-run</c>: a summary line per tree, then one line per entry it would change.</summary>
public static class RestorePreviewText
{
    public static string Render(RestorePreview preview)
    {
        ArgumentNullException.ThrowIfNull(preview);
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line("Dry run: nothing on the node, in the backup or in the progress file is changed.");
        Line(string.Create(CultureInfo.InvariantCulture, $"Backup {preview.BackupRoot} of {preview.Host}, taken {preview.TakenAt:yyyy-MM-dd HH:mm:ss} UTC{(preview.Generation is null ? "" : $" (restore point {preview.Generation}, not the current backup)")}"));
        foreach (var tree in preview.Trees)
        {
            var where = tree.ResolvedPath == tree.Tree.HostPath ? tree.Tree.HostPath : $"{tree.Tree.HostPath} (that is {tree.ResolvedPath})";
            Line($"{where}, stage {tree.Tree.Stage}: {Count(tree, MirrorChangeKind.Rewrite, "rewrite")}, {Count(tree, MirrorChangeKind.Create, "create")}, " +
                 $"{Count(tree, MirrorChangeKind.Delete, "delete")}, {tree.Of(MirrorChangeKind.Metadata).Count()} metadata only; {tree.Plan.Entries - tree.Plan.Changes.Count(c => c.Change != MirrorChangeKind.Delete)} unchanged");
            foreach (var change in tree.Plan.Changes)
            {
                var path = change.Path.Length == 0 ? "." : change.Path;
                var kind = change.Kind is null ? "special" : change.Kind.ToString()!.ToLowerInvariant();
                var size = change.Change == MirrorChangeKind.Delete || (change.Change != MirrorChangeKind.Metadata && change.Kind == Talm.Recovery.Manifest.EntryKind.File)
                    ? $" ({SpaceEstimate.Format(change.Bytes)})"
                    : "";
                Line($"  {Verb(change.Change),-8} {kind,-9} {tree.Tree.HostPath.TrimEnd('/')}/{path}{size}");
            }
        }

        Line(preview.Extras is { } extras
            ? $"extras.tgz: would be unpacked at / ({extras.Files.Count} files: {string.Join(", ", extras.Files.Take(10))}{(extras.Files.Count > 10 ? ", ..." : "")})"
            : "extras.tgz: none in this backup, nothing to unpack");
        var etcd = preview.Etcd;
        Line(etcd.Live is { } live
            ? $"etcd: revision {live} now at {etcd.Endpoint} -> {etcd.Snapshot} from the snapshot ({Direction(live, etcd.Snapshot)})"
            : $"etcd: not reachable ({etcd.Problem}); the snapshot's revision is {etcd.Snapshot}");
        Line(preview.Rollback.Description is { } rollback ? $"rollback: {rollback}" : $"rollback: unknown ({preview.Rollback.Problem})");
        foreach (var note in preview.Notes)
        {
            Line($"note: {note}");
        }

        foreach (var refusal in preview.Refusals)
        {
            Line($"the restore would stop here: {refusal}");
        }

        return text.ToString();
    }

    private static string Count(TreePreview tree, MirrorChangeKind kind, string verb)
    {
        var changes = tree.Of(kind).ToList();
        return $"{changes.Count} to {verb} ({SpaceEstimate.Format(changes.Sum(c => c.Bytes))})";
    }

    private static string Verb(MirrorChangeKind kind) => kind switch
    {
        MirrorChangeKind.Create => "create",
        MirrorChangeKind.Rewrite => "rewrite",
        MirrorChangeKind.Delete => "delete",
        _ => "metadata",
    };

    private static string Direction(long live, long snapshot) => live == snapshot
        ? "the same revision"
        : live > snapshot ? $"{live - snapshot} revisions back" : $"{snapshot - live} revisions ahead of the live etcd";
}
