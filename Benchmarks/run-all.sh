#!/usr/bin/env bash
# Runs every benchmark, one after the other (never in parallel: they would
# share the 2 cores and the disk), and writes the tables to
# Benchmarks/.work/results-<date>.md as well as stdout.
#
# BENCHES="add probe" runs only those (default: add library-add looks probe graph frames remote).
set -uo pipefail
cd "$(dirname "$0")"
source ./lib.sh
out="$WORK_DIR/results-$(date -u +%Y%m%dT%H%M%SZ).md"
# Build once up front so neither script rebuilds (nor measures a build).
[ -n "${OMNISTORE:-}" ] || unset OMNISTORE_COMMIT   # a build below says what it was built from
OMNISTORE=$(ensure_omnistore) || { log "cannot build omnistore"; exit 1; }
export_build_commit
export OMNISTORE
{
    echo "## Machine"
    echo
    machine_info
    echo "- load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    for bench in ${BENCHES:-add library-add looks probe graph frames remote}; do
        [ -f "./bench-$bench.sh" ] || { log "no benchmark named '$bench'"; continue; }
        echo
        echo "## bench-$bench (started $(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
        echo
        bash "./bench-$bench.sh"
    done
} | tee "$out"
log "tables written to $out"
