using Talm.Recovery.Host;

namespace Talm.Recovery.Restore;

/// <summary>How the restore puts etcd's snapshot back (<c>--etcd-restore</c>).</summary>
public enum EtcdRestoreMethod
{
    /// <summary>
    /// The restore does it itself with the etcd tool OpenShift keeps on the node: <c>etcdutl</c> (etcd 3.5+) or
    /// <c>etcdctl</c> from <c>/etc/kubernetes/static-pod-resources/bin</c>, where its <c>dl_etcdctl</c> puts them
    /// (a node has none on PATH), else from PATH.
    /// </summary>
    Etcdctl,

    /// <summary>The node's <c>/usr/local/bin/cluster-restore.sh</c> (OpenShift's supported restore), as the reference's utility calls it.</summary>
    ClusterRestoreScript,
}

/// <summary>The tool found on the node for <see cref="EtcdRestoreMethod"/>, looked up before the restore changes anything.</summary>
public sealed record EtcdRestoreTool(EtcdRestoreMethod Method, string Path, string Name)
{
    /// <summary>Finds the tool on <paramref name="host"/>; <paramref name="searchPath"/> is the PATH the restore runs tools with.</summary>
    public static EtcdRestoreTool Find(EtcdRestoreMethod method, HostPaths host, string searchPath)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(searchPath);
        if (method == EtcdRestoreMethod.ClusterRestoreScript)
        {
            var script = host.ClusterRestoreScript;
            return File.Exists(script)
                ? new EtcdRestoreTool(method, script, "cluster-restore.sh")
                : throw new RestoreFailedException(
                    $"--etcd-restore cluster-restore.sh: {script} does not exist. The etcd static pod copies OpenShift's scripts to /usr/local/bin when it starts; " +
                    "use the default (--etcd-restore etcdctl) on this node. Nothing was changed.");
        }

        var bin = host.StaticPodBin;
        var candidates = new[] { "etcdutl", "etcdctl" }.Select(t => System.IO.Path.Combine(bin, t))
            .Concat(new[] { "etcdutl", "etcdctl" }.SelectMany(t => searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => System.IO.Path.Combine(d, t))));
        var found = candidates.FirstOrDefault(File.Exists)
            ?? throw new RestoreFailedException(
                $"no etcd restore tool on this node: neither etcdutl nor etcdctl in {bin} (where OpenShift's dl_etcdctl puts them) nor on PATH. " +
                "Get them as OpenShift does: 'source /etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd.env; " +
                "source /etc/kubernetes/static-pod-resources/etcd-certs/configmaps/etcd-scripts/etcd-common-tools; dl_etcdctl' (before the restore wipes the images), " +
                "or use --etcd-restore cluster-restore.sh. Nothing was changed.");
        return new EtcdRestoreTool(method, found, System.IO.Path.GetFileName(found));
    }
}
