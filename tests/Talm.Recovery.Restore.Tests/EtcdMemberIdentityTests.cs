using Talm.Recovery.Restore;

namespace Talm.Recovery.Restore.Tests;

/// <summary>The member name and peer URL a restore gives etcd, from the node's etcd pod manifest.</summary>
public sealed class EtcdMemberIdentityTests
{
    // Shaped like OpenShift's etcd static pod: the flags refer to the container's own environment.
    private const string OpenShiftManifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: etcd
          namespace: openshift-etcd
        spec:
          initContainers:
          - name: setup
            command: ["/bin/sh", "-c", "echo --name=wrong"]
          containers:
          - name: etcdctl
            command: ["/bin/bash", "-c", "trap TERM INT; sleep infinity & wait"]
          - name: etcd
            command:
            - /bin/sh
            - -c
            - |
              #!/bin/sh
              set -euo pipefail
              exec nice -n -19 ionice -c2 -n0 etcd \
                --logger=zap \
                --log-level=${VERBOSITY} \
                --initial-advertise-peer-urls=https://${NODE_sno_example_com_IP}:2380 \
                --cert-file=/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-sno.example.com.crt \
                --peer-cert-file=/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-peer-sno.example.com.crt \
                --name=${NODE_sno_example_com_ETCD_NAME} \
                --listen-peer-urls=https://0.0.0.0:2380
            env:
            - name: ETCDCTL_API
              value: "3"
            - name: VERBOSITY
              value: "2"
            - name: NODE_sno_example_com_ETCD_NAME
              value: sno.example.com
            - name: NODE_sno_example_com_IP
              value: 192.0.2.10
        """;

    [Fact]
    public void OpenShifts_manifest_gives_the_name_and_peer_url_from_the_etcd_containers_environment()
    {
        Assert.Equal(("sno.example.com", "https://192.0.2.10:2380"), EtcdMemberIdentity.FromManifest(OpenShiftManifest, "fallback"));
    }

    [Fact]
    public void The_exported_etcd_name_of_openshifts_pod_is_the_member_name()
    {
        var exported = OpenShiftManifest.Replace("--name=${NODE_sno_example_com_ETCD_NAME} \\", "--snapshot-count=10000 \\", StringComparison.Ordinal)
            .Replace("set -euo pipefail", "set -euo pipefail\n      export ETCD_NAME=${NODE_sno_example_com_ETCD_NAME}", StringComparison.Ordinal);
        Assert.Equal(("sno.example.com", "https://192.0.2.10:2380"), EtcdMemberIdentity.FromManifest(exported, "fallback"));

        // No name anywhere in the command: the one node's NODE_<node>_ETCD_NAME.
        var unnamed = exported.Replace("export ETCD_NAME=${NODE_sno_example_com_ETCD_NAME}", "", StringComparison.Ordinal);
        Assert.Equal("sno.example.com", EtcdMemberIdentity.FromManifest(unnamed, "fallback").Name);
    }

    [Fact]
    public void Literal_flags_are_read_as_they_are()
    {
        const string manifest = """
            spec:
              containers:
              - name: etcd
                command: ["etcd", "--name", "node-1", "--initial-advertise-peer-urls=https://[2001:db8::5]:2380,https://10.0.0.5:2380"]
            """;
        Assert.Equal(("node-1", "https://[2001:db8::5]:2380"), EtcdMemberIdentity.FromManifest(manifest, "fallback"));
    }

    [Fact]
    public void A_variable_the_environment_does_not_define_is_not_guessed()
    {
        var manifest = OpenShiftManifest.Replace("- name: NODE_sno_example_com_IP\n      value: 192.0.2.10", "", StringComparison.Ordinal)
            .Replace("- name: NODE_sno_example_com_ETCD_NAME\n      value: sno.example.com", "", StringComparison.Ordinal);
        Assert.Equal(("fallback", EtcdMemberIdentity.DefaultPeerUrl), EtcdMemberIdentity.FromManifest(manifest, "fallback"));
    }

    [Fact]
    public void Without_a_manifest_or_flags_the_defaults_apply()
    {
        Assert.Equal(("host-a", EtcdMemberIdentity.DefaultPeerUrl), EtcdMemberIdentity.FromManifest(null, "host-a"));
        Assert.Equal(("host-a", EtcdMemberIdentity.DefaultPeerUrl),
            EtcdMemberIdentity.FromManifest("spec:\n  containers:\n  - name: etcd\n    command: [\"/bin/sh\", \"-c\", \"exec etcd --listen-client-urls=https://0.0.0.0:2379\"]\n", "host-a"));
        Assert.Equal(("n2", "http://10.1.1.1:2380"), EtcdMemberIdentity.FromManifest("not: [valid yaml\n --name=n2 --initial-advertise-peer-urls=http://10.1.1.1:2380", "host-a"));
    }
}
