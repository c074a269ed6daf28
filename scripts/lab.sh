#!/usr/bin/env bash
# Set up what is missing, then run the lab's default story.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/setup.sh"
exec "$here/talm" lab up "$@"
