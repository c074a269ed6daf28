using System.Globalization;

namespace Talm.Recovery.Backup;

/// <summary>
/// Wall time spent in each phase of a backup, in the order the phases ended, so that a slow run
/// can be taken apart (scan, copy, sync...). Phases that overlap (the etcd snapshot streams during
/// the copy) are recorded each with their own duration.
/// </summary>
public sealed class PhaseTimings
{
    private readonly TimeProvider _time;
    private readonly List<(string Phase, TimeSpan Elapsed)> _phases = [];

    public PhaseTimings(TimeProvider time) => _time = time;

    public IReadOnlyList<(string Phase, TimeSpan Elapsed)> Phases
    {
        get
        {
            lock (_phases)
            {
                return [.. _phases];
            }
        }
    }

    /// <summary>Times the phase until the returned scope is disposed.</summary>
    public Scope Measure(string phase) => new(this, phase, _time.GetTimestamp());

    public void Record(string phase, TimeSpan elapsed)
    {
        lock (_phases)
        {
            _phases.Add((phase, elapsed));
        }
    }

    /// <summary>One line: <c>scan 0.41 s, pin 0.80 s, ...</c>.</summary>
    public override string ToString() =>
        string.Join(", ", Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Phase} {p.Elapsed.TotalSeconds:0.00} s")));

    public readonly struct Scope : IDisposable
    {
        private readonly PhaseTimings _owner;
        private readonly string _phase;
        private readonly long _started;

        internal Scope(PhaseTimings owner, string phase, long started)
        {
            _owner = owner;
            _phase = phase;
            _started = started;
        }

        public void Dispose() => _owner.Record(_phase, _owner._time.GetElapsedTime(_started));
    }
}
