#!/usr/bin/env bash
# bench-library-add: `omnistore add -r` of a folder of small PNGs (256×256)
# against `git add` + `git commit` (as git ships, and made as durable as
# omnistore with core.fsync=all + core.fsyncMethod=batch) and git-lfs, on the
# same folder in the same run. Then `assets` with a selective filter.
# Prints a Markdown table of median wall seconds and the ratio to each peer.
#
# Environment: FILES (default 10000), RUNS (default 3), OMNISTORE (use this
# binary instead of building), QUIET_WAIT / QUIET_LOAD (see lib.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

FILES=${FILES:-10000}
RUNS=${RUNS:-3}
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench \
    GIT_COMMITTER_EMAIL=bench@localhost

apt_install ffmpeg git coreutils
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit
HAVE_LFS=0; apt_try git-lfs && git lfs version >/dev/null 2>&1 && HAVE_LFS=1

# --- data: FILES distinct 256×256 PNGs (cellular automaton frames) ----------
REFS="$DATA_DIR/refs-$FILES"
if [ "$(find "$REFS" -name '*.png' 2>/dev/null | wc -l)" -ne "$FILES" ]; then
    log "making $FILES PNGs of 256x256 in $REFS"
    rm -rf "$REFS" && mkdir -p "$REFS"
    ffmpeg -loglevel error -f lavfi -i "cellauto=s=256x256:rule=110:rate=25" -frames:v "$FILES" \
        "$REFS/ref-%05d.png" || exit 1
fi
BYTES=$(du -sb "$REFS" | cut -f1)

# Each run starts from a fresh store or repository holding a copy of the folder.
fresh() { # fresh NAME: prints a new folder with refs/ copied in (page cache warm for all)
    local dir="$WORK_DIR/library-add/$1"
    rm -rf "$dir" && mkdir -p "$dir" && cp -r "$REFS" "$dir/refs" && sync
    echo "$dir"
}

run_omnistore() { cd "$1" && "$OMNI" init >/dev/null && "$OMNI" add -r refs >/dev/null; }
run_git() { cd "$1" && git init -q && git add refs && git commit -qm refs; }
run_git_durable() {
    cd "$1" && git init -q && git -c core.fsync=all -c core.fsyncMethod=batch add refs &&
        git -c core.fsync=all -c core.fsyncMethod=batch commit -qm refs
}
run_lfs() { cd "$1" && git init -q && git lfs track '*.png' >/dev/null && git add .gitattributes refs && git commit -qm refs; }

declare -A TIMES
rows=(omnistore git git_durable)
[ "$HAVE_LFS" -eq 1 ] && rows+=(lfs)
wait_for_quiet
for run in $(seq "$RUNS"); do
    for row in "${rows[@]}"; do
        dir=$(fresh "$row")
        t=$(time_cmd "run_$row" "$dir") || exit 1
        TIMES[$row]="${TIMES[$row]:-} $t"
        log "run $run: $row ${t} s"
    done
done
# `assets` on the store the last omnistore run made: a selective filter, human output.
dir="$WORK_DIR/library-add/omnistore"
"$OMNI" --version >/dev/null
query=()
for _ in $(seq 11); do query+=("$(cd "$dir" && time_cmd "$OMNI" assets --path '*/ref-0000*.png')"); done
ls_files=()
git_dir="$WORK_DIR/library-add/git"
for _ in $(seq 11); do ls_files+=("$(cd "$git_dir" && time_cmd git ls-files 'refs/ref-0000*.png')"); done

echo "## bench-library-add: \`add -r\` of $FILES PNGs of 256×256 ($(calc "$BYTES / 1048576") MiB), median of $RUNS"
echo
machine_info
echo
o=$(median ${TIMES[omnistore]})
echo "| tool | what it does | median s | ratio (omnistore ÷ tool) |"
echo "|---|---|---|---|"
echo "| **omnistore \`add -r\`** | copy + SHA-256 + probe on all cores, 256 files a transaction; each chunk written out, then one journal fsync before its renames and one after | **$o** | 1 |"
g=$(median ${TIMES[git]})
echo "| \`git add\` + \`git commit\` | zlib loose objects, no fsync | $g | $(calc "$o / $g")× |"
d=$(median ${TIMES[git_durable]})
echo "| git, \`core.fsync=all\`, \`fsyncMethod=batch\` | the same durability as omnistore | $d | $(calc "$o / $d")× |"
if [ "$HAVE_LFS" -eq 1 ]; then
    l=$(median ${TIMES[lfs]})
    echo "| git-lfs | SHA-256 + copy into .git/lfs | $l | $(calc "$o / $l")× |"
fi
echo
echo "| query | median ms |"
echo "|---|---|"
echo "| \`omnistore assets --path '*/ref-0000*.png'\` (start-up included) | $(calc "$(median "${query[@]}") * 1000") |"
echo "| \`git ls-files 'refs/ref-0000*.png'\` | $(calc "$(median "${ls_files[@]}") * 1000") |"
echo
echo "Goals (issue 22): ≤ 1.5× git add + commit; ≤ 1× git with the same durability; faster than git-lfs; assets with a selective filter ≤ 20 ms on 10,000."
