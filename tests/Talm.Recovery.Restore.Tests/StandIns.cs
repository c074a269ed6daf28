using Talm.Sandbox;

namespace Talm.Recovery.Restore.Tests;

/// <summary>
/// Recording stand-ins for the node-only tools (systemctl, crictl, crio, setenforce, oc, rpm-ostree),
/// first on PATH. Each appends its command line to calls.log. crictl reports one running container per
/// name whose ID changes each time kubelet is restarted (and no etcd while its manifest is out); oc keeps
/// each operator's revisions and rolls one out when patched. A file <c>fail-&lt;tool&gt;-&lt;arg1&gt;</c> in the state
/// directory makes that call fail, a file <c>slow-&lt;tool&gt;-&lt;arg1&gt;</c> makes it take that many seconds; a file
/// <c>kubelet-stuck</c> keeps every container's ID across kubelet restarts. <c>systemctl [--root=DIR] enable|disable</c>
/// of a unit file in the root's /etc/systemd/system is done by this machine's real systemctl, offline (or, without
/// one, by making and removing the same <c>.wants</c> links).
/// </summary>
public sealed class StandIns
{
    public StandIns(string root, string hostRoot)
    {
        Bin = Path.Combine(root, "bin");
        State = Path.Combine(root, "state");
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(State);
        var common = $$"""
            #!/bin/bash
            state='{{State}}'
            host='{{hostRoot}}'
            tool="$(basename "$0")"
            echo "$tool $*" >> "$state/calls.log"
            if [[ -e "$state/fail-$tool-${1:-}" ]]; then echo "$tool: injected failure ($*)" >&2; exit 1; fi
            if [[ -e "$state/slow-$tool-${1:-}" ]]; then sleep "$(cat "$state/slow-$tool-${1:-}")"; fi

            """;
        Write("setenforce", common + "exit 0\n");
        Write("crio", common + "exit 0\n");
        Write("rpm-ostree", common + "exit 0\n");
        Write("systemctl", common + SystemdUnitFiles.StandIn + """
            if [[ "$1" == restart && "$2" == kubelet && ! -e "$state/kubelet-stuck" ]]; then
              gen=$(cat "$state/gen" 2>/dev/null || echo 0); echo $((gen + 1)) > "$state/gen"
            fi
            exit 0
            """);
        Write("crictl", common + """
            if [[ "$1" == ps ]]; then
              name=""; while [[ $# -gt 0 ]]; do [[ "$1" == --name ]] && name="$2"; shift; done
              name="${name#^}"; name="${name%\$}"
              if [[ "$name" == etcd && ! -e "$host/etc/kubernetes/manifests/etcd-pod.yaml" ]]; then exit 0; fi
              echo "$name-$(cat "$state/gen" 2>/dev/null || echo 0)"
            fi
            exit 0
            """);
        Write("oc", common + """
            if [[ "$1" == get && "$2" == clusterversion* ]]; then echo "NAME      VERSION   AVAILABLE"; echo "version   4.14.1    True"; exit 0; fi
            op="$2"
            latest=$(cat "$state/oc-$op-latest" 2>/dev/null || echo 7)
            current=$(cat "$state/oc-$op-current" 2>/dev/null || echo "$latest")
            case "$1 $4" in
              "get -o") case "$5" in
                  *latestAvailableRevision*) echo -n "$latest" ;;
                  *currentRevision*) echo -n "$current" ;;
                esac ;;
              "patch --type=merge") echo $((latest + 1)) > "$state/oc-$op-latest"; echo $((latest + 1)) > "$state/oc-$op-current"; echo "$op.operator.openshift.io/cluster patched" ;;
            esac
            exit 0
            """);
    }

    public string Bin { get; }

    public string State { get; }

    /// <summary>The stand-ins, then a node's system programs: no etcd tools on PATH, as on an OpenShift node.</summary>
    public string SearchPath => Bin + ":" + NodeSystem.Value;

    private static readonly Lazy<string> NodeSystem = new(() =>
        Talm.Sandbox.NodeSearchPath.Create(Path.Combine(Path.GetTempPath(), "talm-node-path")));

    public IReadOnlyList<string> Calls()
    {
        var log = Path.Combine(State, "calls.log");
        return File.Exists(log) ? File.ReadAllLines(log) : [];
    }

    public void ClearCalls() => File.Delete(Path.Combine(State, "calls.log"));

    public void Fail(string tool, string firstArg) => File.WriteAllText(Path.Combine(State, $"fail-{tool}-{firstArg}"), "");

    public void Heal() => Array.ForEach(Directory.GetFiles(State, "fail-*"), File.Delete);

    private void Write(string name, string text)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        Talm.Recovery.Platform.Posix.Chmod(path, 0b111_000_000);
    }
}
