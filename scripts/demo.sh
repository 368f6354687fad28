#!/usr/bin/env bash
set -euo pipefail
echo "make demo: not yet — the image pipeline and web page are not built yet (see issue 4)."
