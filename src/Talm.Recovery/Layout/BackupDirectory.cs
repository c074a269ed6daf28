using Talm.Recovery.Unattended;

namespace Talm.Recovery.Layout;

/// <summary>
/// A backup directory (<c>/var/recovery</c>, docs/backup-format.md): the one place that knows every name inside it and
/// does what is done to them. What a backup holds has the TALM names of <see cref="BackupLayout"/>; beside them:
/// <code>
/// generations/&lt;id&gt;/, current, and what a backup leaves while it works   (BackupDirectory.Generations.cs)
/// keep                 how many restore points backups keep here, once --keep was given (BackupDirectory.Keep.cs)
/// progress, progress.host-root, progress.generation   a started restore (<see cref="ProgressFile"/>)
/// restore-result.json  how the last unattended restore went (<see cref="UnattendedResultFile"/>)
/// .lock                held by a backup or a restore while it runs
/// .extras/, .static-pod-resources/, etcd-pod.yaml.stopped, etcd-data-aside   a restore's scratch and records
/// </code>
/// </summary>
public sealed partial class BackupDirectory
{
    /// <summary>The lock's name, as messages give it (<see cref="LockPath"/>).</summary>
    public const string LockName = ".lock";

    /// <summary>The unattended restore's result's name, as help texts give it (<see cref="RestoreResult"/>).</summary>
    public const string RestoreResultName = "restore-result.json";

    private const string ProgressName = "progress";
    private const string ExtrasScratchName = ".extras";
    private const string StaticPodResourcesScratchName = ".static-pod-resources";
    private const string StoppedEtcdPodName = "etcd-pod.yaml.stopped";
    private const string EtcdAsideRecordName = "etcd-data-aside";
    private const string ManifestIndexName = "manifest.index";
    private const string ManifestIndexTempName = ManifestIndexName + ".tmp";

    /// <param name="path">The directory, as given (messages show it so); it need not exist yet.</param>
    public BackupDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Progress = new ProgressFile(Combine(ProgressName), Combine(ProgressName + ".host-root"), Combine(ProgressName + ".generation"));
        RestoreResult = new UnattendedResultFile(Combine(RestoreResultName));
    }

    public string Path { get; }

    /// <summary>Completed restore stages: a restore has begun here when it lists one (a backup is then refused).</summary>
    public ProgressFile Progress { get; }

    /// <summary>How the last unattended restore went (<c>restore --unattended</c>).</summary>
    public UnattendedResultFile RestoreResult { get; }

    /// <summary>
    /// <c>.lock</c>, held (an advisory lock, released when the process ends however it ends) by a backup while it runs and by
    /// a restore while it runs: a second backup, or a backup during a restore, could otherwise recycle the generation the
    /// other is reading.
    /// </summary>
    public string LockPath => Combine(LockName);

    /// <summary>The top-level <c>upgrade-recovery.sh</c> (through <c>current</c>).</summary>
    public string RecoveryScript => Combine(BackupLayout.RecoveryScript);

    /// <summary>The top-level <c>bin/</c> (through <c>current</c>): the program the backup carries.</summary>
    public string Bin => Combine(BackupLayout.BinDir);

    /// <summary>Where a restore unpacks <c>extras.tgz</c> before it puts the files in place.</summary>
    public string ExtrasScratch => Combine(ExtrasScratchName);

    /// <summary>Where a restore unpacks the static pod resources archive before it puts them in place.</summary>
    public string StaticPodResourcesScratch => Combine(StaticPodResourcesScratchName);

    /// <summary>Where a restore keeps the etcd static pod's manifest while etcd is stopped.</summary>
    public string StoppedEtcdPod => Combine(StoppedEtcdPodName);

    /// <summary>Where a restore records where it moved the node's etcd data directory, before it moves it.</summary>
    public string EtcdAsideRecord => Combine(EtcdAsideRecordName);

    /// <summary>The manifest of the backup in <paramref name="root"/> (a generation, or a backup directory holding one directly).</summary>
    public static string ManifestOf(string root) => System.IO.Path.Combine(root, BackupLayout.Manifest);

    /// <summary>
    /// The binary index beside the manifest of the backup in <paramref name="root"/>: a cache the next backup reads instead
    /// of the JSON, checked against the manifest's bytes and never trusted over them (<see cref="Manifest.ManifestIndex"/>).
    /// </summary>
    public static string ManifestIndexOf(string root) => System.IO.Path.Combine(root, ManifestIndexName);

    /// <summary>The name <see cref="ManifestIndexOf"/> is written under before its rename (a crash can leave it; it is never read).</summary>
    public static string ManifestIndexTempOf(string root) => System.IO.Path.Combine(root, ManifestIndexTempName);

    /// <summary>The names at a generation's root that its manifest does not list: the manifest itself and its index.</summary>
    public static IReadOnlyList<string> UnlistedNames { get; } = [BackupLayout.Manifest, ManifestIndexName, ManifestIndexTempName];

    /// <summary>One of the top-level names of <see cref="BackupLayout.FixedNames"/>, through <c>current</c>.</summary>
    public string Fixed(string name)
    {
        if (!BackupLayout.FixedNames.Contains(name))
        {
            throw new ArgumentException($"{name} is not one of the backup's fixed names", nameof(name));
        }

        return Combine(name);
    }

    /// <summary>The held lock, or null when another process holds it.</summary>
    public FileStream? TryLock()
    {
        try
        {
            return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (Directory.Exists(Path))
        {
            return null;
        }
    }

    public override string ToString() => Path;

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}
