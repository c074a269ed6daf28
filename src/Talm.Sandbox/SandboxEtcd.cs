using Talm.Recovery.Etcd;

namespace Talm.Sandbox;

/// <summary>The etcd of a sandbox host, started over its /var/lib/etcd with the member name the sandbox made it with.</summary>
public static class SandboxEtcd
{
    public const string MemberName = "sandbox";

    public static Task<LocalEtcd> StartAsync(string dataDir, CancellationToken cancellationToken = default) =>
        LocalEtcd.StartAsync(dataDir, new LocalEtcdOptions { Name = MemberName }, cancellationToken);
}
