using Talm.Sandbox;

namespace Talm.Lab.Recover;

/// <summary>
/// The node-only tools a recovery calls (systemctl, crictl, crio, setenforce, oc, rpm-ostree) do not
/// exist on a lab spoke, so the lab puts small scripts first on PATH that behave like a node: restarting
/// kubelet gives every control-plane container a new ID, etcd's container is gone while its static pod
/// manifest is out, patching an operator rolls out the next revision, and enabling or disabling a unit file of the
/// host's /etc/systemd/system links it as systemctl does (this machine's real systemctl, offline, when it has one).
/// Each call is logged.
/// </summary>
public sealed class LabNodeTools
{
    private LabNodeTools(string root)
    {
        Bin = Path.Combine(root, "bin");
        State = Path.Combine(root, "state");
    }

    public string Bin { get; }

    public string State { get; }

    public string CallsLog => Path.Combine(State, "calls.log");

    public IReadOnlyList<string> Calls() => File.Exists(CallsLog) ? File.ReadAllLines(CallsLog) : [];

    /// <summary>The stand-ins, then the node's system programs: like an OpenShift node, no etcd tools on PATH (they are in static-pod-resources/bin).</summary>
    public string SearchPath() => Bin + ":" + Talm.Sandbox.NodeSearchPath.Create(Path.Combine(Path.GetDirectoryName(Bin)!, "system"));

    public static LabNodeTools Create(string root, string hostRoot)
    {
        var tools = new LabNodeTools(root);
        Directory.CreateDirectory(tools.Bin);
        Directory.CreateDirectory(tools.State);
        var head = $"""
            #!/bin/bash
            # Lab stand-in for a node-only tool (see Talm.Lab.Recover.LabNodeTools).
            state='{tools.State}'
            host='{hostRoot}'
            echo "$(basename "$0") $*" >> "$state/calls.log"

            """;
        tools.Write("setenforce", head + "exit 0\n");
        tools.Write("crio", head + "exit 0\n");
        tools.Write("rpm-ostree", head + "echo 'rpm-ostree is not available on a lab spoke' >&2\nexit 1\n");
        tools.Write("systemctl", head + SystemdUnitFiles.StandIn + """
            case "$1 ${2:-}" in
              "restart kubelet"|"start kubelet") n=$(cat "$state/boot" 2>/dev/null || echo 0); echo $((n + 1)) > "$state/boot" ;;
            esac
            exit 0
            """);
        tools.Write("crictl", head + """
            [[ "$1" == ps ]] || exit 0
            name=""
            while [[ $# -gt 0 ]]; do [[ "$1" == --name ]] && name="$2"; shift; done
            name="${name#^}"; name="${name%\$}"
            [[ -z "$name" ]] && exit 0
            if [[ "$name" == etcd && ! -f "$host/etc/kubernetes/manifests/etcd-pod.yaml" ]]; then exit 0; fi
            printf '%s%04d\n' "$(echo -n "$name" | md5sum | cut -c1-12)" "$(cat "$state/boot" 2>/dev/null || echo 0)"
            """);
        tools.Write("oc", head + """
            if [[ "$1" == get && "${3:-}" != cluster ]]; then
              echo "NAME      VERSION   AVAILABLE   PROGRESSING   SINCE   STATUS"
              echo "version   4.17.12   True        False         1m      Cluster version is 4.17.12"
              exit 0
            fi
            op="$2"
            latest=$(cat "$state/$op.latest" 2>/dev/null || echo 5)
            current=$(cat "$state/$op.current" 2>/dev/null || echo "$latest")
            if [[ "$1" == patch ]]; then
              echo $((latest + 1)) > "$state/$op.latest"; echo $((latest + 1)) > "$state/$op.current"
              echo "$op.operator.openshift.io/cluster patched"; exit 0
            fi
            for a in "$@"; do
              case "$a" in
                *latestAvailableRevision*) echo -n "$latest"; exit 0 ;;
                *currentRevision*) echo -n "$current"; exit 0 ;;
              esac
            done
            exit 0
            """);
        return tools;
    }

    private void Write(string name, string text)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the lab's node tools are bash scripts");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
