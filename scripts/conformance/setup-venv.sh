#!/usr/bin/env bash
# Creates /work/main/.venv (gitignored) with the official Python clients the conformance
# scenarios run: taos-ws-py (WebSocket) and taospy (REST), pinned, plus websockets for replay.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "taos-ws-py==0.7.0" "taospy==2.8.10" "websockets"
"$VENV/bin/python" -c "import taosws, taosrest, websockets" >/dev/null
echo "venv ready: $VENV"
