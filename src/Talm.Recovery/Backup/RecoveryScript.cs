using System.Globalization;

namespace Talm.Recovery.Backup;

/// <summary>
/// <c>upgrade-recovery.sh</c>: the administrator's entry point. It runs the talm saved in the backup's
/// <c>bin/</c> with <c>recovery restore --dir &lt;its own directory&gt;</c> and forwards every argument.
/// </summary>
public static class RecoveryScript
{
    public static string Render(ProgramLocation program, DateTimeOffset writtenAt)
    {
        ArgumentNullException.ThrowIfNull(program);
        var entry = program.EntryFile;
        var stamp = writtenAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        var run = program.NeedsDotnet
            ? $$"""
              if ! command -v dotnet >/dev/null 2>&1; then
                echo "upgrade-recovery.sh: 'dotnet' is not on PATH, and $here/bin/{{entry}} needs it; install the .NET 10 runtime or use a self-contained talm" >&2
                exit 127
              fi
              exec dotnet "$here/bin/{{entry}}" recovery restore "${dir_args[@]}" "$@"
              """
            : $$"""
              exec "$here/bin/{{entry}}" recovery restore "${dir_args[@]}" "$@"
              """;
        return $$"""
            #!/bin/bash
            # Written by `talm recovery backup` on {{stamp}}.
            # Restores this node from the backup in this directory with the talm saved beside it (bin/).
            # Usage: upgrade-recovery.sh [--dir DIR] [--force] [--step] [--resume] [--restart] [--unattended [--reboot]]
            set -euo pipefail
            here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
            dir_args=(--dir "$here")
            for arg in "$@"; do
              case "$arg" in --dir|--dir=*) dir_args=() ;; esac
            done
            {{run}}

            """.ReplaceLineEndings("\n");
    }
}
