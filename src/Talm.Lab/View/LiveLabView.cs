using Spectre.Console;
using Spectre.Console.Rendering;

namespace Talm.Lab.View;

/// <summary>For a terminal: one table redrawn in place, with the latest notes under it.</summary>
public sealed class LiveLabView : ILabView
{
    private const int MaxRows = 40;
    private const int NotesShown = 10;
    private readonly IAnsiConsole _console;
    private readonly Lock _gate = new();
    private readonly List<string> _notes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private LabSnapshot _snapshot = new([], []);

    public LiveLabView(IAnsiConsole console)
    {
        _console = console;
        _loop = _console.Live(Render()).AutoClear(false).StartAsync(async ctx =>
        {
            while (!_stop.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render());
                try { await Task.Delay(250, _stop.Token); }
                catch (OperationCanceledException) { }
            }
            ctx.UpdateTarget(Render());
        });
    }

    public void Show(LabSnapshot snapshot)
    {
        lock (_gate) _snapshot = snapshot;
    }

    public void Note(string line)
    {
        lock (_gate) _notes.Add(line);
    }

    private IRenderable Render()
    {
        LabSnapshot snap;
        string[] notes;
        lock (_gate)
        {
            snap = _snapshot;
            // The first note says how to reach the hub with kubectl: keep it on screen.
            notes = _notes.Count <= NotesShown ? [.. _notes] : [_notes[0], .. _notes.TakeLast(NotesShown - 1)];
        }
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("cluster", "backup", "pre-cache", "batch", "policy", "compliance");
        foreach (var r in snap.Rows.Take(MaxRows))
            table.AddRow(Markup.Escape(r.Cluster), Colour(r.Backup), Colour(r.Precache), r.Batch, Markup.Escape(r.Policy), Colour(r.Compliance));
        if (snap.Rows.Count > MaxRows)
            table.Caption($"... and {snap.Rows.Count - MaxRows} more clusters");
        var lines = notes.Length == 0 ? new Text("") : new Text(string.Join('\n', notes));
        return new Rows(table, lines);
    }

    private static string Colour(string state) => state switch
    {
        "Succeeded" or "Compliant" or "complete" => $"[green]{Markup.Escape(state)}[/]",
        "UnrecoverableError" or "BackupTimeout" or "PrecacheTimeout" or "NonCompliant" or "timedout" => $"[red]{Markup.Escape(state)}[/]",
        "-" => "[grey]-[/]",
        _ => $"[yellow]{Markup.Escape(state)}[/]",
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
