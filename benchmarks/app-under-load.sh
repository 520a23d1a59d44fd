#!/usr/bin/env bash
# The app's tests (tests/tui) three times in a row while one CPU burner per core runs: a flake
# that only shows under load shows here. Usage: benchmarks/app-under-load.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
burners=()
for _ in $(seq "$(nproc)"); do
    python3 -c 'while True: pass' &
    burners+=($!)
done
trap 'kill "${burners[@]}" 2>/dev/null' EXIT
failed=0
for i in $(seq "$runs"); do
    echo "=== run $i of $runs, $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    python3 -m pytest tests/tui -q -p no:cacheprovider || failed=$((failed + 1))
done
echo "runs failed: $failed of $runs"
exit "$failed"
