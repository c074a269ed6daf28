#!/usr/bin/env bash
# Replays the reference's kuttl scenarios against talm lab serve + talm operator.
#   scripts/conformance.sh --reference DIR [--only NAME...] [--shared-hub] [--report FILE] [--step-timeout S] [--verbose]
# DIR is a checkout of openshift-kni/cluster-group-upgrades-operator; see docs/compatibility.md.
# Builds the talm CLI and the runner (src/Talm.Conformance) first; all options are the runner's (--help lists them).
#
# The scenarios' scripts need kubectl proxy on 127.0.0.1:8001. When unshare is allowed, the run gets its own
# network namespace (loopback only), so that port is its own and two runs on one machine do not collide;
# TALM_CONFORMANCE_NETNS=0 runs in the machine's network instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v dotnet >/dev/null 2>&1; then
  echo "conformance: the .NET SDK (dotnet) is not on PATH; run scripts/setup.sh" >&2
  exit 127
fi
# The launcher builds artifacts/cli/talm.dll when a source changed; the runner starts that dll for every hub.
"$here/talm" --help >/dev/null
out="$here/artifacts/conformance-runner"
# Built aside and swapped in; the previous build stays in .prev, so that a run still going from it keeps its files.
next="$out.next.$$"
if ! build_log="$(dotnet build "$here/src/Talm.Conformance/Talm.Conformance.csproj" -c Release -o "$next" -nologo -v quiet 2>&1)"; then
  rm -rf "$next"
  echo "$build_log" >&2
  echo "conformance: building the runner failed" >&2
  exit 1
fi
rm -rf "$out.prev"
[[ ! -e "$out" ]] || mv "$out" "$out.prev"
mv "$next" "$out"
run=(dotnet "$out/talm-conformance.dll" --repo "$here" --talm "$here/artifacts/cli/talm.dll" "$@")
if [[ "${TALM_CONFORMANCE_NETNS:-1}" != 0 ]] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
  userns=()
  [[ "$(id -u)" == 0 ]] || userns=(--map-root-user)
  if unshare --net "${userns[@]}" true 2>/dev/null; then
    exec unshare --net "${userns[@]}" -- bash -c 'ip link set lo up && exec "$@"' conformance "${run[@]}"
  fi
fi
echo "conformance: no private network namespace (unshare not allowed); port 8001 is shared with the machine" >&2
exec "${run[@]}"
