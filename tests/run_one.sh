#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run_one.sh FILE FUNCTION: run one e2e test with teardown on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
trap ws_cleanup EXIT
source "$1"
"$2"
