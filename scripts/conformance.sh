#!/usr/bin/env bash
# Replays the reference's kuttl scenarios against talm lab serve + talm operator.
#   scripts/conformance.sh --reference DIR [--only NAME...] [--shared-hub] [--report FILE] [--step-timeout S] [--verbose]
# DIR is a checkout of openshift-kni/cluster-group-upgrades-operator; see docs/compatibility.md.
# Builds the talm CLI and the runner (src/Talm.Conformance) first; all options are the runner's (--help lists them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v dotnet >/dev/null 2>&1; then
  echo "conformance: the .NET SDK (dotnet) is not on PATH; run scripts/setup.sh" >&2
  exit 127
fi
# The launcher builds artifacts/cli/talm.dll when a source changed; the runner starts that dll for every hub.
"$here/talm" --help >/dev/null
out="$here/artifacts/conformance-runner"
if ! build_log="$(dotnet build "$here/src/Talm.Conformance/Talm.Conformance.csproj" -c Release -o "$out" -nologo -v quiet 2>&1)"; then
  echo "$build_log" >&2
  echo "conformance: building the runner failed" >&2
  exit 1
fi
exec dotnet "$out/talm-conformance.dll" --repo "$here" --talm "$here/artifacts/cli/talm.dll" "$@"
