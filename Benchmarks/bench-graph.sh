#!/usr/bin/env bash
# Graph operations on a 100,000-turn graph (a 50,000-turn main line and 1,000
# branches of 50 turns), built through the OmniStore library, against git on
# the same shape built with `git fast-import`. Prints a table of times, peak
# memory and ratios. Usage: Benchmarks/bench-graph.sh [TOTAL] [BRANCHES]
# OMNISTORE=/path/to/omnistore measures that binary (and builds the graph with
# the omnistore-graph-bench beside it, or else with one built here).
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
branches=${2:-1000}
work=Benchmarks/.work/graph
rm -rf "$work" && mkdir -p "$work"
command -v bc >/dev/null || { echo "bench-graph needs bc: apt-get install bc" >&2; exit 1; }
if [[ -n "${OMNISTORE:-}" ]]; then
    omni=$(cd "$(dirname "$OMNISTORE")" && pwd)/$(basename "$OMNISTORE")
    builder=$(dirname "$omni")/omnistore-graph-bench
else
    swift build -c release --static-swift-stdlib --product omnistore >/dev/null
    omni=$(swift build -c release --show-bin-path)/omnistore
    builder=""
fi
if [[ -z "$builder" || ! -x "$builder" ]]; then
    swift build -c release --static-swift-stdlib --product omnistore-graph-bench >/dev/null
    builder=$(swift build -c release --show-bin-path)/omnistore-graph-bench
fi
ffmpeg -v error -f lavfi -i color=c=blue:s=64x64 -frames:v 1 "$work/clip.png"

start=$(date +%s.%N)
"$builder" "$work/store" "$work/clip.png" "$work/fast-import.txt" "$total" "$branches"
built=$(echo "$(date +%s.%N) - $start" | bc)
git init -q "$work/git"
start=$(date +%s.%N)
git -C "$work/git" fast-import --quiet < "$work/fast-import.txt"
imported=$(echo "$(date +%s.%N) - $start" | bc)

# Median wall time (s) and peak RSS (KB) of 5 runs of a command.
measure() {
    local dir=$1; shift
    local times=() mems=()
    for _ in 1 2 3 4 5; do
        local out
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
        out=$(tail -1 "$work/time.txt")
        times+=("${out% *}"); mems+=("${out#* }")
    done
    local t m
    t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    m=$(printf '%s\n' "${mems[@]}" | sort -n | sed -n 3p)
    echo "$t $m"
}

far_a=b3
far_b=b$((branches - 10))
o() { (cd "$work/store" && "$omni" "$@"); }
export -f o
cd_git() { git -C "$work/git" "$@"; }
printf '%-34s %10s %10s %10s %10s %8s\n' operation omnistore_s git_s omni_KB git_KB ratio
row() {
    local label=$1 ours theirs
    ours=$(measure . bash -c "cd $work/store && $omni $2")
    theirs=$(measure . bash -c "git -C $work/git $3")
    local ratio
    ratio=$(echo "scale=2; ${ours% *} / (${theirs% *} + 0.0001)" | bc)
    printf '%-34s %10s %10s %10s %10s %8s\n' "$label" "${ours% *}" "${theirs% *}" "${ours#* }" "${theirs#* }" "$ratio"
}
row "log -n 20 (topo order)" "log -n 20" "log --topo-order -n 20 main"
row "log -n 20 (git default order)" "log -n 20" "log -n 20 main"
row "count the full log" "log --count" "rev-list --count main"
row "full log, one line per turn" "log" "log --topo-order --oneline main"
row "show main~5000" "show main~5000" "show -s main~5000"
row "resolve main~5000" "rev-parse main~5000" "rev-parse main~5000"
row "merge-base of two far branches" "merge-base $far_a $far_b" "merge-base refs/heads/$far_a refs/heads/$far_b"
row "log --all -n 20" "log --all -n 20" "log --all --topo-order -n 20"
echo
echo "graph built through the library in ${built}s; git fast-import took ${imported}s"
echo "process start of omnistore alone: $(measure . "$omni" --version)"
