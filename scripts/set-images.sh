#!/usr/bin/env bash
# Points deploy/ at released images (by digest) and regenerates the bundle from it:
#   scripts/set-images.sh --operator REF@sha256:... --recovery REF@sha256:... [--precache REF@sha256:...] [--version X.Y.Z]
# The references land in deploy/operator/deployment.yaml (the manager's image, RECOVERY_IMG,
# PRECACHE_IMG), the one place they live; scripts/bundle.sh carries them into the CSV.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deployment="$here/deploy/operator/deployment.yaml"
operator="" recovery="" precache="" version=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --operator) operator="$2"; shift 2 ;;
    --recovery) recovery="$2"; shift 2 ;;
    --precache) precache="$2"; shift 2 ;;
    --version) version=(--version "$2"); shift 2 ;;
    *) echo "usage: $0 --operator REF@sha256:DIGEST --recovery REF@sha256:DIGEST [--precache REF@sha256:DIGEST] [--version X.Y.Z]" >&2; exit 2 ;;
  esac
done
for ref in "$operator" "$recovery" "$precache"; do
  if [[ -n "$ref" && ! "$ref" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$ ]]; then
    echo "set-images.sh: $ref is not a registry-qualified reference by digest (HOST/PATH@sha256:64 hex)" >&2
    exit 2
  fi
done
[[ -n "$operator" ]] && sed -i -E "s|^(        image: ).*|\1$operator|" "$deployment"
[[ -n "$recovery" ]] && sed -i -E "/- name: RECOVERY_IMG/{n;s|(value: ).*|\1$recovery|}" "$deployment"
[[ -n "$precache" ]] && sed -i -E "/- name: PRECACHE_IMG/{n;s|(value: ).*|\1$precache|}" "$deployment"
"$here/scripts/bundle.sh" "${version[@]+"${version[@]}"}"
