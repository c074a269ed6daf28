using Talm.Recovery.Platform;

namespace Talm.Sandbox;

/// <summary>The node's etcd as OpenShift lays it out: static pod manifests, the etcd pod's environment, TLS material for the node IP.</summary>
public sealed partial class SandboxHost
{
    private static string PodManifest(string component, int revision) => component == "etcd"
        ? EtcdPodManifest(DefaultNodeName, DefaultNodeIp, revision)
        : $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {component}\n  namespace: openshift-{component}\n  labels:\n    revision: \"{revision}\"\n" +
          $"spec:\n  containers:\n  - name: {component}\n    command: [\"/bin/sh\", \"-c\", \"exec {component}\"]\n  volumes:\n  - hostPath:\n      path: /etc/kubernetes/static-pod-resources/" +
          $"{component}-pod-{revision}\n    name: resource-dir\n";

    /// <summary>
    /// The etcd static pod as OpenShift's installer writes it for a node (REVISION, NODE_NAME and
    /// NODE_ENVVAR_NAME substituted): the member name and node IP come from the container's environment.
    /// </summary>
    private static string EtcdPodManifest(string node, string ip, int revision)
    {
        var safe = Talm.Recovery.Backup.EtcdEndpointDiscovery.EnvSafe(node);
        const string certs = "/etc/kubernetes/static-pod-certs";
        var env = string.Concat(EtcdEnvironment(node, ip).Select(e => $"    - name: \"{e.Name}\"\n      value: \"{e.Value.Replace("NODE_NAME", node, StringComparison.Ordinal)}\"\n"));
        return $$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: etcd
              namespace: openshift-etcd
              labels:
                app: etcd
                etcd: "true"
                k8s-app: etcd
                revision: "{{revision}}"
            spec:
              containers:
              - name: etcd
                command:
                - /bin/sh
                - -c
                - |
                  #!/bin/sh
                  set -euo pipefail
                  export ETCD_NAME=${NODE_{{safe}}_ETCD_NAME}
                  exec nice -n -19 ionice -c2 -n0 etcd                     --logger=zap                     --initial-advertise-peer-urls=https://${NODE_{{safe}}_IP}:2380                     --cert-file={{certs}}/secrets/etcd-all-certs/etcd-serving-{{node}}.crt                     --key-file={{certs}}/secrets/etcd-all-certs/etcd-serving-{{node}}.key                     --trusted-ca-file={{certs}}/configmaps/etcd-serving-ca/ca-bundle.crt                     --client-cert-auth=true                     --peer-cert-file={{certs}}/secrets/etcd-all-certs/etcd-peer-{{node}}.crt                     --peer-key-file={{certs}}/secrets/etcd-all-certs/etcd-peer-{{node}}.key                     --peer-trusted-ca-file={{certs}}/configmaps/etcd-peer-client-ca/ca-bundle.crt                     --peer-client-cert-auth=true                     --advertise-client-urls=https://${NODE_{{safe}}_IP}:2379                     --listen-client-urls=https://0.0.0.0:2379,unixs://${NODE_{{safe}}_IP}:0                     --listen-peer-urls=https://0.0.0.0:2380                     --metrics=extensive                     --listen-metrics-urls=https://0.0.0.0:9978
                env:
            {{env}}    - name: "ETCD_STATIC_POD_VERSION"
                  value: "{{revision}}"
                volumeMounts:
                - mountPath: /etc/kubernetes/manifests
                  name: static-pod-dir
                - mountPath: /etc/kubernetes/static-pod-resources
                  name: resource-dir
                - mountPath: /etc/kubernetes/static-pod-certs
                  name: cert-dir
                - mountPath: /var/lib/etcd/
                  name: data-dir
              hostNetwork: true
              priorityClassName: system-node-critical
              volumes:
              - hostPath:
                  path: /etc/kubernetes/manifests
                name: static-pod-dir
              - hostPath:
                  path: /etc/kubernetes/static-pod-resources/etcd-pod-{{revision}}
                name: resource-dir
              - hostPath:
                  path: /etc/kubernetes/static-pod-resources/etcd-certs
                name: cert-dir
              - hostPath:
                  path: /var/lib/etcd
                  type: ""
                name: data-dir

            """.ReplaceLineEndings("\n");
    }

    /// <summary>
    /// What OpenShift's etcd operator puts on a node besides the pod: the certificates, the scripts'
    /// etcd.env (the file cluster-backup.sh sources; NODE_NAME left as the operator writes it) and the
    /// etcdctl its dl_etcdctl extracts from the etcd image into static-pod-resources/bin (a node has no
    /// etcdctl on PATH; here the machine's own is copied there).
    /// </summary>
    private void WriteEtcdNode()
    {
        EtcdCertificates.Write(_root, DefaultNodeName, System.Net.IPAddress.Parse(DefaultNodeIp));
        WriteText(EtcdCertificates.CertDir + "/configmaps/etcd-scripts/etcd.env",
            string.Concat(EtcdEnvironment(DefaultNodeName, DefaultNodeIp).Select(e => $"export {e.Name}=\"{e.Value}\"\n")));
        foreach (var tool in (string[])["etcdctl", "etcdutl"])
        {
            var found = ((string[])["/usr/local/bin", "/usr/bin"]).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                var target = P("/etc/kubernetes/static-pod-resources/bin/" + tool);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(found, target);
                Posix.Chmod(target, FileModes.Executable);
            }
        }
    }
}
