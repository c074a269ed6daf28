#!/usr/bin/env bash
# Set up what is missing, build everything, and run every test project.
# Prints a closing "N passed, N failed" line summed over all projects.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh || exit 1
dotnet build Talm.slnx -c Release --nologo -v quiet || { echo "build failed"; exit 1; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
# Every test project (tests/Talm.Testing is support code they share, not tests).
for proj in tests/*.Tests/*.csproj; do
  echo "== $(basename "$proj" .csproj)"
  dotnet test "$proj" -c Release --no-build --nologo "$@" 2>&1 | tee -a "$log"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
done
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: $passed passed, $failed failed"
[[ $status -eq 0 && $failed -eq 0 ]] || exit 1
