namespace Talm.Lab.View;

/// <summary>For logs and pipes: prints a line per cluster whenever its row changes, and every note.</summary>
public sealed class PlainLabView(TextWriter output) : ILabView
{
    private readonly Dictionary<string, ClusterRow> _last = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Show(LabSnapshot snapshot)
    {
        lock (_gate)
        {
            foreach (var row in snapshot.Rows)
            {
                if (_last.TryGetValue(row.Cluster, out var old) && old == row) continue;
                _last[row.Cluster] = row;
                output.WriteLine($"  {row.Cluster,-10} backup={row.Backup} precache={row.Precache} batch={row.Batch} policy={row.Policy} compliance={row.Compliance}");
            }
            output.Flush();
        }
    }

    public void Note(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
