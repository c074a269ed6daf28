using Talm.Recovery.Etcd;
using Talm.Recovery.Layout;
using Talm.Recovery.Manifest;
using Talm.Recovery.Ostree;
using Talm.Recovery.Platform;
using Talm.Recovery.Verify;

namespace Talm.Recovery.Backup;

/// <summary>
/// <c>talm recovery backup --dry-run</c>: the checks a backup depends on, made the way the backup makes them
/// (its own scan, estimate and etcd discovery), writing nothing: no directory, no lock, no pin, no remount.
/// </summary>
public sealed partial class BackupRunner
{
    public async Task<IReadOnlyList<PreflightFinding>> PreflightAsync(CancellationToken cancellationToken = default)
    {
        var findings = new List<PreflightFinding>();
        if (_directory.Progress.Exists)
        {
            findings.Add(new PreflightFinding(PreflightCheck.Recovery, false, $"{RecoveryInProgressMessage}: a restore is under way in {_dir}; the backup would be skipped"));
        }

        var previousRoot = Directory.Exists(_dir) ? _directory.CurrentRoot() : null;
        var previous = previousRoot is null ? null : ManifestStore.TryRead(previousRoot);
        findings.Add(Space(previous is null ? null : new ReuseIndex(previousRoot!, previous)));
        findings.Add(await EtcdAsync(cancellationToken).ConfigureAwait(false));
        findings.Add(await PreviousAsync(previousRoot, cancellationToken).ConfigureAwait(false));
        findings.Add(Pin());
        return findings;
    }

    private PreflightFinding Space(ReuseIndex? reuse)
    {
        var copier = _planner.Scan(Task.FromResult(reuse), new ProgressCounters());
        var estimate = _planner.Estimate(copier, StaticPodRevisions.CurrentRevisionDirs(_host), ExtraFiles.Find(_host));

        // The directory may not exist yet: the backup creates it on the filesystem of its nearest existing parent.
        var existing = _dir;
        while (!Directory.Exists(existing))
        {
            existing = Path.GetDirectoryName(existing)!;
        }

        var (points, credit) = RestorePointsFacts();
        var free = Posix.FreeBytes(existing) + credit;
        var mounts = MountTable.Current();
        var mount = existing;
        while (!mounts.IsMountPoint(mount) && Path.GetDirectoryName(mount) is { } parent)
        {
            mount = parent;
        }

        var required = estimate.WithMargin(_options.SpaceMargin);
        var facts = $"{SpaceEstimate.Format(estimate.Total)} needed ({copier.ReusableFiles} files reusable from the previous backup) plus a {SpaceEstimate.Format(_options.SpaceMargin)} margin, " +
                    $"{SpaceEstimate.Format(free)} free on the filesystem mounted at {mount} (holding {_dir}){points}";
        return (free > required
            ? new PreflightFinding(PreflightCheck.Space, true, facts)
            : new PreflightFinding(PreflightCheck.Space, false, $"{InsufficientSpaceMessage}: {facts}")) with { NeededBytes = estimate.Total, FreeBytes = free };
    }

    /// <summary>
    /// What the restore points cost and what the run would free: restore points beyond --keep are removed before the
    /// build (their bytes count as free here, as the run sees them), and after the commit one falls out of a full window.
    /// </summary>
    private (string Text, long Credit) RestorePointsFacts()
    {
        var points = Directory.Exists(_dir) ? _directory.RestorePoints() : [];
        var keep = _options.Keep ?? _directory.ReadKeep();
        if (points.Count == 0 || (points.Count == 1 && keep == 1))
        {
            return ("", 0);
        }

        var read = points.Select(p => (p.Id, p.Root, Manifest: ManifestStore.TryRead(p.Root))).Where(p => p.Manifest is not null).Select(p => (p.Id, p.Root, p.Manifest!)).ToList();
        var space = RestorePointSpace.Measure(read);
        static HashSet<string> Ids(IEnumerable<RestorePoint> some) => some.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var older = points.Skip(1).Take(keep - 1).ToList();
        var text = $"; --keep {keep}: {points.Count} restore point(s) now";
        if (older.Count > 0)
        {
            text += $", the {older.Count} older one(s) kept hold {SpaceEstimate.Format(space.OnlyIn(Ids(older)))} no other holds";
        }

        var dropped = points.Skip(keep).ToList();
        long credit = 0;
        if (dropped.Count > 0)
        {
            credit = space.OnlyIn(Ids(dropped));
            text += $"; {dropped.Count} beyond --keep {keep} ({string.Join(", ", dropped.Select(p => p.Id))}) would be removed first, freeing {SpaceEstimate.Format(credit)} (counted as free)";
        }

        // With --keep 1 the current backup itself leaves: what it frees is what the new one does not reuse (the estimate above).
        if (points.Count >= keep && keep > 1)
        {
            var falling = points[keep - 1];
            text += $"; after the commit {falling.Id} leaves the window (about {SpaceEstimate.Format(space.OnlyIn(falling.Id))} of its own freed)";
        }

        return (text, credit);
    }

    private async Task<PreflightFinding> EtcdAsync(CancellationToken cancellationToken)
    {
        try
        {
            var found = _options.Etcd is { } given
                ? new DiscoveredEtcd(given, "--etcd-endpoint")
                : EtcdEndpointDiscovery.Discover(_host, NetworkNamespaces.SharesNetworkWithNode(_host.Proc));
            var (connection, source) = (found.Connection, found.Source);
            var certificate = connection.CertFile is { } cert ? $", client certificate {cert}" : "";
            using var client = new EtcdClient(connection);
            var status = await client.StatusAsync(cancellationToken).ConfigureAwait(false);
            return new PreflightFinding(PreflightCheck.Etcd, true, $"{connection.Endpoint} ({source}){certificate} answers: etcd {status.Version}, revision {status.Revision}, database {SpaceEstimate.Format(status.DbSize)}");
        }
        catch (Exception e) when (e is EtcdException or IOException or InvalidDataException or System.Security.Cryptography.CryptographicException)
        {
            return new PreflightFinding(PreflightCheck.Etcd, false, e.Message);
        }
    }

    private static async Task<PreflightFinding> PreviousAsync(string? previousRoot, CancellationToken cancellationToken)
    {
        if (previousRoot is null)
        {
            return new PreflightFinding(PreflightCheck.Previous, true, "none yet: the first backup copies everything");
        }

        var report = await BackupVerifier.VerifyAsync(previousRoot, Math.Max(2, Environment.ProcessorCount), null, cancellationToken).ConfigureAwait(false);
        return (report.Intact
            ? new PreflightFinding(PreflightCheck.Previous, true, $"{previousRoot} verifies: {report.FilesChecked} files, {SpaceEstimate.Format(report.BytesChecked)}")
            : new PreflightFinding(PreflightCheck.Previous, false,
                $"{previousRoot} does NOT verify ({report.Problems.Count} problem(s), first: {report.Problems[0]}); the backup copies afresh what it cannot trust, but the last good backup is not good"))
            with { Generation = Path.GetFileName(previousRoot) };
    }

    private PreflightFinding Pin()
    {
        if (!Directory.Exists(Path.Combine(_host.Sysroot, "ostree")))
        {
            return new PreflightFinding(PreflightCheck.Pin, false, $"no ostree sysroot at {_host.Sysroot}: nothing to pin, so no rollback would be possible");
        }

        if (!Path.Exists(_host.Combine("ostree")) && new FileInfo(_host.Combine("ostree")).LinkTarget is null)
        {
            // In the Job's pod the link is made by the backup itself (OstreeSysrootLink): a pre-flight makes nothing.
            return new PreflightFinding(PreflightCheck.Pin, true, $"{_host.Combine("ostree")} is missing; the backup links it to {OstreeSysrootLink.Target} before it pins (the deployments are not listed here)");
        }

        try
        {
            var deployments = new NodeOstree(_host).Deployments();
            var active = NodeOstree.Active(deployments);
            if (active is null)
            {
                return new PreflightFinding(PreflightCheck.Pin, false, $"{PinFailedMessage}: ostree lists no deployment in {_host.OstreeSysroot} (its bootloader entries are read from {_host.Boot})");
            }

            // ostree admin pin writes under /sysroot, undeploy also on /boot: each must be writable, or made so for the pin.
            var readOnly = new[] { _host.Sysroot, _host.Boot }.Where(p => Directory.Exists(p) && Mounts.IsReadOnly(p)).ToList();
            if (readOnly.Count > 0 && !CanRemount())
            {
                return new PreflightFinding(PreflightCheck.Pin, false, $"{PinFailedMessage}: {string.Join(" and ", readOnly)} read-only and this process lacks CAP_SYS_ADMIN to remount");
            }

            var write = readOnly.Count == 0 ? "writable" : $"{string.Join(" and ", readOnly)} read-only, remounted read-write for the pin (this process may)";
            return new PreflightFinding(PreflightCheck.Pin, true,
                $"{active.Id} ({active.Version ?? "no version"}) would be pinned{(active.Pinned ? " (it already is)" : "")} and {deployments.Count - 1} other deployment(s) removed; {write}");
        }
        catch (OstreeException e)
        {
            return new PreflightFinding(PreflightCheck.Pin, false, $"{PinFailedMessage}: {e.Message}");
        }
    }

    /// <summary>CAP_SYS_ADMIN (bit 21) in this process's effective set: what a remount needs.</summary>
    private static bool CanRemount()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16) & (1UL << 21)) != 0;
    }
}

/// <summary>What <c>backup --dry-run</c> checks, in the order it reports them.</summary>
public enum PreflightCheck
{
    Recovery,
    Space,
    Etcd,
    Previous,
    Pin,
}

public sealed record PreflightFinding(PreflightCheck Check, bool Ok, string Message)
{
    /// <summary>Space: what the backup would write (its estimate, before the margin).</summary>
    public long? NeededBytes { get; init; }

    /// <summary>Space: free bytes where the backup would go.</summary>
    public long? FreeBytes { get; init; }

    /// <summary>Previous: the generation checked (null when there is none).</summary>
    public string? Generation { get; init; }
}
