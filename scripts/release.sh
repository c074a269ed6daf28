#!/usr/bin/env bash
# Builds and pushes a release: the operator and recovery images, then deploy/ and bundle/ pointed at
# them by digest, then the bundle image. Needs podman and skopeo, and a login to the registry.
#   scripts/release.sh --registry quay.io/myorg --version 1.2.0 \
#       [--precache quay.io/openshift-kni/cluster-group-upgrades-operator-precache:4.18.0]
# Afterwards commit deploy/ and bundle/ (git diff shows the digests) and tag the commit vX.Y.Z.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
registry="" version=""
precache="quay.io/openshift-kni/cluster-group-upgrades-operator-precache:4.18.0"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) registry="${2%/}"; shift 2 ;;
    --version) version="${2#v}"; shift 2 ;;
    --precache) precache="$2"; shift 2 ;;
    *) echo "usage: $0 --registry HOST/NAMESPACE --version X.Y.Z [--precache IMAGE]" >&2; exit 2 ;;
  esac
done
[[ -n "$registry" && -n "$version" ]] || { echo "usage: $0 --registry HOST/NAMESPACE --version X.Y.Z [--precache IMAGE]" >&2; exit 2; }
cd "$here"
digests="$(mktemp -d)"
trap 'rm -rf "$digests"' EXIT

push() { # name containerfile -> prints NAME@sha256:...
  local image="$registry/$1:$version"
  podman build -f "$2" -t "$image" . >&2
  podman push --digestfile "$digests/$1" "$image" >&2
  echo "$registry/$1@$(cat "$digests/$1")"
}
operator="$(push talm-operator deploy/Containerfile.operator)"
recovery="$(push talm-recovery deploy/Containerfile.recovery)"
# The pre-cache workload is not ours: pin the digest the tag points at today.
repo="${precache%@*}"
[[ "${repo##*/}" == *:* ]] && repo="${repo%:*}"
precache_ref="$repo@$(skopeo inspect --format '{{.Digest}}' "docker://$precache")"
scripts/set-images.sh --operator "$operator" --recovery "$recovery" --precache "$precache_ref" --version "$version"

bundle="$registry/talm-operator-bundle:v$version"
podman build -f bundle/bundle.Dockerfile -t "$bundle" bundle/
podman push --digestfile "$digests/bundle" "$bundle"
echo "operator: $operator"
echo "recovery: $recovery"
echo "precache: $precache_ref"
echo "bundle:   $registry/talm-operator-bundle@$(cat "$digests/bundle")"
