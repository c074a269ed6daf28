using Microsoft.Extensions.Logging;
using Talm.Lab.Scenario;

namespace Talm.Lab.Spokes;

/// <summary>Makes the lab's spokes in the fidelity asked for.</summary>
public sealed class LabSpokeFactory(LabOptions options, TimeProvider time, ILogger log, FullSpokeSettings? full = null)
{
    public async Task<SimulatedSpoke> CreateAsync(string name, SpokeFaults faults, CancellationToken ct)
    {
        if (options.Fidelity == Fidelity.Fast)
            return new FastSpoke(name, faults, options.Timing, time);
        if (full is null)
            throw new InvalidOperationException("Full-fidelity spokes need the talm executable and sandbox settings; use --fidelity fast or run through the talm CLI.");
        return await FullSpoke.CreateAsync(name, faults, SpokeDirectory.Of(options.WorkDir, name).Root, full, time, log, ct);
    }
}
