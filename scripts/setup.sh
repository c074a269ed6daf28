#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine: the system tools the product and its tests use,
# then the NuGet packages. Safe to run again; it only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# command -> Debian package that provides it
declare -A tools=(
  [etcd]=etcd-server [etcdctl]=etcd-client [ostree]=ostree [podman]=podman [skopeo]=skopeo
  [rsync]=rsync [getfattr]=attr [kubectl]=kubectl
  # The pod sandbox (namespaces, veth pairs, a terminal for tty: true) and the recovery's journal lines.
  [ip]=iproute2 [unshare]=util-linux [nsenter]=util-linux [pivot_root]=util-linux [mount]=mount [findmnt]=util-linux
  [script]=bsdutils [logger]=bsdutils
)
missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
# libostree is loaded at run time by the rollback code.
if ! ldconfig -p 2>/dev/null | grep -q 'libostree-1.so.1'; then missing+=(libostree-1-1); fi

if ((${#missing[@]})); then
  # kubectl is not a Debian package on every release: it is needed only by the kubectl tests.
  want=()
  for p in "${missing[@]}"; do [[ "$p" == kubectl ]] || want+=("$p"); done
  if ((${#want[@]})); then
    if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
      echo "setup: missing packages: ${want[*]}; run as root or install them with apt-get" >&2
      exit 1
    fi
    sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    echo "setup: installing ${want[*]} with apt-get..." >&2
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null \
      || { echo "setup: apt-get could not install: ${want[*]}" >&2; exit 1; }
  fi
  command -v kubectl >/dev/null 2>&1 || echo "setup: note: kubectl is not installed; the kubectl conformance tests need it" >&2
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK (dotnet) is missing; install it from your distribution or Microsoft's packages" >&2
  exit 1
fi
echo "setup: restoring NuGet packages..." >&2
dotnet restore "$here/Talm.slnx" -v quiet --nologo >/dev/null \
  || { dotnet restore "$here/Talm.slnx" --nologo; echo "setup: NuGet restore failed (see above)" >&2; exit 1; }
echo "setup: ready" >&2
