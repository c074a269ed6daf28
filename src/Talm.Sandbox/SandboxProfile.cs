namespace Talm.Sandbox;

/// <summary>How big a sandbox host is. <c>typical</c> looks like a real SNO in file counts and sizes.</summary>
public sealed record SandboxProfile
{
    public required string Name { get; init; }

    public int Revisions { get; init; }

    public int FilesPerRevision { get; init; }

    public int EtcFiles { get; init; }

    public int UsrLocalBinaries { get; init; }

    public int UsrLocalBinarySize { get; init; }

    public int Pods { get; init; }

    public int FilesPerPod { get; init; }

    public int LargeFiles { get; init; }

    public int LargeFileSize { get; init; }

    public int EtcdKeys { get; init; }

    public int EtcdValueSize { get; init; }

    public static readonly SandboxProfile Small = new()
    {
        Name = "small",
        Revisions = 2,
        FilesPerRevision = 4,
        EtcFiles = 60,
        UsrLocalBinaries = 2,
        UsrLocalBinarySize = 64 << 10,
        Pods = 4,
        FilesPerPod = 12,
        LargeFiles = 1,
        LargeFileSize = 2 << 20,
        EtcdKeys = 200,
        EtcdValueSize = 1024,
    };

    public static readonly SandboxProfile Typical = new()
    {
        Name = "typical",
        Revisions = 5,
        FilesPerRevision = 40,
        EtcFiles = 2500,
        UsrLocalBinaries = 6,
        UsrLocalBinarySize = 60 << 20,
        Pods = 110,
        FilesPerPod = 280,
        LargeFiles = 6,
        LargeFileSize = 256 << 20,
        EtcdKeys = 20_000,
        EtcdValueSize = 8 << 10,
    };

    /// <summary>
    /// The size of a single-node OpenShift measured in the field: about 9,500 files and 476 MiB in
    /// /etc, /usr/local and /var/lib/kubelet (a few hundred MiB of it in a handful of large files), a
    /// 40 MB etcd database.
    /// </summary>
    public static readonly SandboxProfile Sno = new()
    {
        Name = "sno",
        Revisions = 5,
        FilesPerRevision = 40,
        EtcFiles = 2450,
        UsrLocalBinaries = 4,
        UsrLocalBinarySize = 40 << 20,
        Pods = 60,
        FilesPerPod = 103,
        LargeFiles = 2,
        LargeFileSize = 128 << 20,
        EtcdKeys = 4_500,
        EtcdValueSize = 8 << 10,
    };

    public static IReadOnlyList<string> Names { get; } = ["small", "sno", "typical"];

    public static SandboxProfile ByName(string name) => name switch
    {
        "small" => Small,
        "sno" => Sno,
        "typical" => Typical,
        _ => throw new ArgumentException($"unknown profile '{name}': use {string.Join(", ", Names)}", nameof(name)),
    };
}
