#!/usr/bin/env bash
# Writes the OLM bundle (bundle/) from deploy/: the CSV (owned CRDs with descriptors, install modes,
# the operator's RBAC and Deployment, relatedImages), the CRDs, the metrics objects,
# metadata/annotations.yaml and bundle.Dockerfile. Never edit bundle/ by hand: change deploy/ and
# run this again (a test fails when the two differ).
#   scripts/bundle.sh [--version X.Y.Z]     write bundle/ (default: the version bundle/ has, else 0.1.0)
#   scripts/bundle.sh --check               exit 1 if bundle/ is not what deploy/ makes
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/artifacts/bundle-tool"
dotnet build "$here/tools/Talm.Bundle/Talm.Bundle.csproj" -c Release -o "$out" -nologo -v quiet >/dev/null \
  || { echo "bundle.sh: building tools/Talm.Bundle failed (run: dotnet build tools/Talm.Bundle)" >&2; exit 1; }
exec dotnet "$out/talm-bundle.dll" --repo "$here" "$@"
