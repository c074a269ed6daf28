#!/usr/bin/env bash
# Publishes talm-recovery, the spoke agent on its own: self-contained, trimmed, one file, for linux-x64
# (or the runtime given as the first argument, e.g. linux-arm64). Output: artifacts/recovery/<rid>/talm-recovery.
# Trimmed and single-file are the project's own settings (src/Talm.Recovery.Cli); a trim warning fails the publish
# (warnings are errors).
#   scripts/publish-recovery.sh [RID] [extra dotnet publish arguments...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="${1:-linux-x64}"
shift || true
out="$here/artifacts/recovery/$rid"
dotnet publish "$here/src/Talm.Recovery.Cli/Talm.Recovery.Cli.csproj" -c Release -r "$rid" --self-contained \
  -p:InvariantGlobalization=true \
  -o "$out" --nologo "$@"
rm -f "$out"/*.pdb
echo "$out/talm-recovery ($(du -m "$out/talm-recovery" | cut -f1) MB)"
