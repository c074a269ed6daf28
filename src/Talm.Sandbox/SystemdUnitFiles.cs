namespace Talm.Sandbox;

/// <summary>
/// What the systemctl stand-ins (the lab's node tools and the tests') do with unit files, since no systemd runs here:
/// <c>systemctl [--root=DIR] enable|disable UNIT</c> of a unit in the root's /etc/systemd/system is done by this
/// machine's real systemctl, offline, or without one by making and removing the same <c>.wants</c> links.
/// </summary>
public static class SystemdUnitFiles
{
    /// <summary>
    /// A bash fragment for a stand-in script, after its header (which sets <c>host</c>): handles enable/disable
    /// and exits, or leaves the arguments (without <c>--root</c>) to what follows.
    /// </summary>
    public const string StandIn = """
        # Unit files as systemctl handles them: in <root>/etc/systemd/system, enabled by a symlink in <target>.wants/.
        root="$host"; rest=()
        for a in "$@"; do case "$a" in --root=*) root="${a#--root=}" ;; *) rest+=("$a") ;; esac; done
        set -- "${rest[@]}"
        units="$root/etc/systemd/system"
        # The real systemctl does that offline (--root) where this machine has it. (The node's own units, such as
        # kubelet.service, are not in the sandbox host: those calls are only recorded.)
        if [[ "${1:-}" == enable || "${1:-}" == disable ]]; then
          unit="$2"; [[ "$unit" == *.* ]] || unit="$unit.service"
          if [[ -f "$units/$unit" && -x /usr/bin/systemctl ]]; then exec /usr/bin/systemctl --root="$root" "$1" "$unit"; fi
          if [[ "$1" == enable && -f "$units/$unit" ]]; then
            for target in $(sed -n 's/^WantedBy=//p' "$units/$unit"); do
              mkdir -p "$units/$target.wants"; ln -sfn "/etc/systemd/system/$unit" "$units/$target.wants/$unit"
              echo "Created symlink $units/$target.wants/$unit -> /etc/systemd/system/$unit." >&2
            done
          elif [[ "$1" == disable ]]; then
            for link in "$units"/*.wants/"$unit"; do if [[ -L "$link" ]]; then rm -f "$link"; echo "Removed \"$link\"." >&2; fi; done
          fi
          exit 0
        fi

        """;
}
