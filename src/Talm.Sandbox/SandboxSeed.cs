namespace Talm.Sandbox;

/// <summary>What was put into the sandbox's etcd, so a test can check a restored snapshot holds it.</summary>
public sealed record SandboxSeed
{
    public required string KeyPrefix { get; init; }

    public required int KeyCount { get; init; }

    public required string SampleKey { get; init; }

    public required string SampleValueSha256 { get; init; }

    /// <summary>Host-absolute paths the machine config manages outside /etc, /usr/local and /var/lib/kubelet.</summary>
    public required IReadOnlyList<string> ExtraFiles { get; init; }

    /// <summary>The node's name (its host name, and the name OpenShift's etcd operator gives its etcd member).</summary>
    public string NodeName { get; init; } = SandboxHost.DefaultNodeName;

    /// <summary>The node's IP: etcd serves TLS on it (see <c>etcd.env</c>); the pod sandbox gives the node this address.</summary>
    public string NodeIp { get; init; } = SandboxHost.DefaultNodeIp;

    /// <summary>The image made with <c>podman import</c> and used by a container in the host's storage, if podman was available.</summary>
    public string? Image { get; init; }

    public const string FileName = ".sandbox.json";
}
