using System.Globalization;
using Spectre.Console;
using Talm.Recovery.Backup;

namespace Talm.Cli.Commands;

/// <summary>
/// Plain progress lines for logs (the Job, a pipe): one every <c>period</c> and at each new phase, each
/// stamped with the UTC time, with no cursor movement or colour.
/// </summary>
public sealed class PlainProgressReporter : IBackupProgressReporter
{
    private readonly TextWriter _writer;
    private readonly TimeSpan _period;
    private readonly TimeProvider _time;
    private TimeSpan? _last;
    private string _lastPhase = "";

    public PlainProgressReporter(TextWriter writer, TimeSpan period, TimeProvider time)
    {
        _writer = writer;
        _period = period;
        _time = time;
    }

    public void Report(BackupProgress progress)
    {
        if (_last is { } last && progress.Elapsed - last < _period && progress.Phase == _lastPhase && progress.Phase != "done")
        {
            return;
        }

        _last = progress.Elapsed;
        _lastPhase = progress.Phase;
        _writer.WriteLine(_time.GetUtcNow().ToString(CliLogging.PlainTimestampFormat, CultureInfo.InvariantCulture) + Format(progress));
        _writer.Flush();
    }

    public static string Format(BackupProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"progress: {p.Phase}: {SpaceEstimate.Format(p.BytesDone)} / {SpaceEstimate.Format(p.BytesTotal)}, {p.FilesDone} / {p.FilesTotal} files, {SpaceEstimate.Format((long)p.BytesPerSecond)}/s, ETA {(p.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--")}");
}

/// <summary>A Spectre progress bar on a terminal; readings arrive from the backup's ticker thread.</summary>
public sealed class TerminalProgressReporter : IBackupProgressReporter
{
    private ProgressTask? _task;

    public void Attach(ProgressTask task) => _task = task;

    public void Report(BackupProgress progress)
    {
        if (_task is null)
        {
            return;
        }

        _task.MaxValue = Math.Max(1, progress.BytesTotal);
        _task.Value = progress.BytesDone;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"{progress.Phase} [grey]{progress.FilesDone}/{progress.FilesTotal} files, {SpaceEstimate.Format((long)progress.BytesPerSecond)}/s[/]");
    }
}
