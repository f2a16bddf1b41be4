#!/usr/bin/env bash
# bench-add: `omnistore add` of a ~1 GiB video against hashing, copying and
# other content stores (git, git-lfs, dvc, git-annex) on the same file in the
# same run. Prints a Markdown table of median wall seconds, GB/s and the ratio
# to `openssl dgst -sha256`, then the goals, then a breakdown of where
# omnistore's time goes.
#
# Environment: RUNS (default 5), SIZE_MIB (default 1024), OMNISTORE (use this
# binary instead of building), QUIET_WAIT / QUIET_LOAD (see lib.sh), BREAKDOWN=0 (skip the breakdown),
# ONLY="omnistore openssl ..." (run only these rows).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
BREAKDOWN=${BREAKDOWN:-1}
ONLY=${ONLY:-}
export DVC_NO_ANALYTICS=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost

# --- tools -----------------------------------------------------------------
apt_install ffmpeg openssl coreutils git time strace
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit
HAVE_LFS=0; apt_try git-lfs && git lfs version >/dev/null 2>&1 && HAVE_LFS=1
HAVE_ANNEX=0; apt_try git-annex && git annex version >/dev/null 2>&1 && HAVE_ANNEX=1
DVC=""; DVC=$(ensure_dvc) || { log "could not install dvc from PyPI"; DVC=""; }

# --- data: a real ~1 GiB H.264 + AAC MP4 -------------------------------------
VIDEO="$DATA_DIR/video-${SIZE_MIB}m.mp4"
make_video() {
    local seg="$DATA_DIR/segment-20s.mp4" list="$DATA_DIR/concat.txt" target=$((SIZE_MIB * 1048576)) n i
    log "making a 20 s 1080p30 lossless H.264 segment"
    ffmpeg -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30:d=20 -f lavfi -i sine=f=440:d=20 \
        -c:v libx264 -preset ultrafast -crf 0 -pix_fmt yuv420p -c:a aac -b:a 128k -shortest "$seg" || return 1
    n=$(( (target + $(stat -c %s "$seg") - 1) / $(stat -c %s "$seg") ))
    log "stream-copying it $n times into $(basename "$VIDEO")"
    : >"$list"
    for ((i = 0; i < n; i++)); do echo "file '$(basename "$seg")'" >>"$list"; done
    ffmpeg -v error -y -f concat -safe 0 -i "$list" -c copy "$VIDEO.tmp.mp4" && mv "$VIDEO.tmp.mp4" "$VIDEO"
    rm -f "$seg" "$list"
}
[ -s "$VIDEO" ] || make_video || { log "cannot make the test video"; exit 1; }
chmod 644 "$VIDEO"
BYTES=$(stat -c %s "$VIDEO")
log "video: $VIDEO, $BYTES bytes, $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$VIDEO") s"

R="$WORK_DIR/add"   # every run starts from a fresh copy of this folder
fresh() { chmod -R u+w "$R" 2>/dev/null; rm -rf "$R"; mkdir -p "$R"; }
# Puts the video into a work tree as a hard link: free, and the bytes stay the
# (page-cached) bytes of $VIDEO.
link_in() { ln "$VIDEO" "$1/video.mp4"; }

# Each row: setup_X (untimed, fresh state) and run_X (timed).
setup_sha256sum() { :; }
run_sha256sum() { sha256sum "$VIDEO"; }
setup_openssl() { :; }
run_openssl() { openssl dgst -sha256 "$VIDEO"; }
setup_cp() { :; }
run_cp() { cp "$VIDEO" "$R/copy.mp4"; }
setup_cpsync() { :; }
run_cpsync() { cp "$VIDEO" "$R/copy.mp4" && sync "$R/copy.mp4"; }
setup_omnistore() { "$OMNI" init "$R/ws" >/dev/null; }
run_omnistore() { "$OMNI" add --store "$R/ws" "$VIDEO"; }
setup_git() { git init -q "$R/repo" && link_in "$R/repo"; }
run_git() { git -C "$R/repo" add video.mp4; }
setup_lfs() { git init -q "$R/repo" && git -C "$R/repo" lfs install --local >/dev/null && link_in "$R/repo"; }
run_lfs() { (cd "$R/repo" && git lfs track '*.mp4' && git add .gitattributes video.mp4); }
setup_dvc() {
    git init -q "$R/repo" && (cd "$R/repo" && "$DVC" init -q && "$DVC" config core.analytics false &&
        "$DVC" config core.check_update false) && link_in "$R/repo"
}
run_dvc() { (cd "$R/repo" && "$DVC" add video.mp4); }
setup_annex() { git init -q "$R/repo" && git -C "$R/repo" annex init -q bench && link_in "$R/repo"; }
run_annex() { (cd "$R/repo" && git annex add video.mp4); }

ROWS=(sha256sum openssl cp cpsync omnistore git lfs dvc annex)
declare -A LABEL=(
    [sha256sum]='`sha256sum`' [openssl]='`openssl dgst -sha256`' [cp]='`cp` (no fsync)'
    [cpsync]='`cp` + `sync FILE` (fsync)' [omnistore]='**`omnistore add`**' [git]='`git add`'
    [lfs]='git-lfs: `git lfs track` + `git add`' [dvc]='`dvc add`' [annex]='`git annex add`')
declare -A DOES=(
    [sha256sum]='hash' [openssl]='hash' [cp]='copy' [cpsync]='copy, fsync'
    [omnistore]='copy + SHA-256 in one pass, **fsync**, probe, SQLite row'
    [git]='SHA-1 + zlib into a loose object, no fsync'
    [lfs]='SHA-256 + copy into .git/lfs/objects, no fsync'
    [dvc]='MD5, copy into .dvc/cache and copy back (sendfile), no fsync'
    [annex]='SHA-256, *renames* the file into .git/annex (no copy) + symlink, no fsync')
declare -A AVAILABLE=([lfs]=$HAVE_LFS [annex]=$HAVE_ANNEX [dvc]=$([ -n "$DVC" ] && echo 1 || echo 0))
declare -A MEDIAN MIN TIMES NOTE

wait_for_quiet
# Page cache: read the file once so every run starts warm.
cat "$VIDEO" >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Rows take turns, round by round, so that other work on the machine hits them
# alike. Round 0 is a warm-up and is thrown away (this VM hands freed memory
# back to its host, so the first 1 GiB written after a pause is slow), except
# for rows slower than 20 s (git add), which keep it and do 3 runs in all.
declare -A SAMPLES PLANNED
ACTIVE=()
for row in "${ROWS[@]}"; do
    if [ -n "$ONLY" ] && [[ " $ONLY " != *" $row "* ]]; then continue; fi
    if [ "${AVAILABLE[$row]:-1}" != 1 ]; then NOTE[$row]="not installable here"; continue; fi
    ACTIVE+=("$row") SAMPLES[$row]="" PLANNED[$row]=$RUNS
done
one_run() { # one_run ROW: prints the wall seconds of one fresh run, or fails
    local row=$1
    fresh
    if ! "setup_$row" >"$WORK_DIR/setup.log" 2>&1; then
        NOTE[$row]="setup failed: $(tail -n 1 "$WORK_DIR/setup.log")"; return 1
    fi
    sync                          # no dirty pages from the last run
    cat "$VIDEO" >/dev/null       # source warm in the page cache
    time_cmd "run_$row"
}
for ((round = 0; round <= RUNS; round++)); do
    for row in "${ACTIVE[@]}"; do
        [ -z "${NOTE[$row]:-}" ] || continue
        n=$(wc -w <<<"${SAMPLES[$row]}")
        [ "$n" -lt "${PLANNED[$row]}" ] || continue
        if ! t=$(one_run "$row"); then
            [ -n "${NOTE[$row]:-}" ] || NOTE[$row]="failed: $(tail -n 1 "$WORK_DIR/last.log" 2>/dev/null)"
            continue
        fi
        if [ "$round" = 0 ]; then
            if awk -v t="$t" 'BEGIN { exit !(t > 20) }'; then
                PLANNED[$row]=$((RUNS < 3 ? RUNS : 3))
            else
                log "$row warm-up: $t s (not counted)"; continue
            fi
        fi
        SAMPLES[$row]="${SAMPLES[$row]} $t"
        log "$row run $((n + 1)): $t s"
    done
done
for row in "${ACTIVE[@]}"; do
    [ -z "${NOTE[$row]:-}" ] || continue
    read -r -a samples <<<"${SAMPLES[$row]}"
    MEDIAN[$row]=$(median "${samples[@]}")
    MIN[$row]=$(printf '%s\n' "${samples[@]}" | sort -g | head -n 1)
    TIMES[$row]="${samples[*]}"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
fresh
chmod 644 "$VIDEO"   # dvc and git-annex make the (hard-linked) content read-only

# --- table -----------------------------------------------------------------
version_of() {
    case $1 in
    sha256sum | cp | cpsync) sha256sum --version | head -n 1 | awk '{ print "coreutils " $NF }' ;;
    openssl) openssl version | awk '{ print $1 " " $2 }' ;;
    omnistore) echo "omnistore $("$OMNI" --version 2>/dev/null) built at ${OMNISTORE_COMMIT:-?}" ;;
    git) git --version | awk '{ print "git " $3 }' ;;
    lfs) git lfs version 2>/dev/null | awk '{ print $1 }' ;;
    dvc) echo "dvc $("$DVC" --version 2>/dev/null)" ;;
    annex) git annex version --raw 2>/dev/null | sed 's/^/git-annex /' ;;
    esac
}
BASE=${MEDIAN[openssl]:-}
echo
echo "### omnistore add vs peers: $(awk -v b="$BYTES" 'BEGIN { printf "%.3f GiB", b / 1073741824 }') H.264 MP4, warm page cache, median of $RUNS runs after a warm-up (3 runs for rows over 20 s), rows taking turns"
echo
echo "| tool | version | what it does | median s | min s | runs (s) | GB/s (median) | × openssl (median) |"
echo "|---|---|---|---:|---:|---|---:|---:|"
for row in "${ROWS[@]}"; do
    if [ -n "$ONLY" ] && [[ " $ONLY " != *" $row "* ]]; then continue; fi
    if [ -n "${MEDIAN[$row]:-}" ]; then
        m=${MEDIAN[$row]}
        gbs=$(calc "$BYTES / $m / 1e9")
        ratio=$([ -n "$BASE" ] && calc "$m / $BASE" || echo "-")
        printf '| %s | %s | %s | %.2f | %.2f | %s | %.2f | %.2f× |\n' "${LABEL[$row]}" "$(version_of "$row")" \
            "${DOES[$row]}" "$m" "${MIN[$row]}" "${TIMES[$row]}" "$gbs" "$ratio"
    else
        printf '| %s | %s | %s | - | - | %s | - | - |\n' "${LABEL[$row]}" "$(version_of "$row")" "${DOES[$row]}" \
            "${NOTE[$row]:-not run}"
    fi
done

echo
echo "Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER (2 cores; other work on the machine shows here)."
echo
echo "### Goals"
echo
OM=${MEDIAN[omnistore]:-}
if [ -n "$OM" ] && [ -n "$BASE" ]; then
    r=$(awk -v a="$OM" -v b="$BASE" 'BEGIN { printf "%.2f", a / b }')
    verdict=$(awk -v r="$r" 'BEGIN { print (r <= 1.3) ? "MET" : "MISSED" }')
    rmin=$(awk -v a="${MIN[omnistore]}" -v b="${MIN[openssl]}" 'BEGIN { printf "%.2f", a / b }')
    echo "- omnistore add ≤ 1.3× openssl dgst -sha256: **$verdict** (medians: ${r}×, $OM s vs $BASE s; best runs: ${rmin}×)"
    slower=()
    faster=()
    for p in git lfs dvc annex; do
        [ -n "${MEDIAN[$p]:-}" ] || continue
        if awk -v a="$OM" -v b="${MEDIAN[$p]}" 'BEGIN { exit !(a < b) }'; then
            slower+=("${LABEL[$p]} ($(awk -v a="${MEDIAN[$p]}" -v b="$OM" 'BEGIN { printf "%.2f", a / b }')× omnistore's time)")
        else
            faster+=("${LABEL[$p]} (${MEDIAN[$p]} s)")
        fi
    done
    missing=()
    for p in lfs dvc annex; do [ -n "${MEDIAN[$p]:-}" ] || missing+=("${LABEL[$p]}"); done
    if [ ${#faster[@]} -eq 0 ] && [ ${#slower[@]} -eq 0 ]; then
        echo "- omnistore add beats every peer: not evaluated (no peer was measured)"
    elif [ ${#faster[@]} -eq 0 ]; then
        echo "- omnistore add beats every peer: **MET** — slower: $(IFS=';'; echo "${slower[*]:-none}" | sed 's/;/; /g')"
    else
        echo "- omnistore add beats every peer: **MISSED** — faster than omnistore: $(IFS=';'; echo "${faster[*]}" | sed 's/;/; /g')"
    fi
    [ ${#missing[@]} -eq 0 ] || echo "  (not measured: ${missing[*]})"
else
    echo "- not evaluated: omnistore or openssl did not run"
fi

# --- breakdown -------------------------------------------------------------
[ "$BREAKDOWN" = 1 ] || exit 0
[ -z "$ONLY" ] || [[ " $ONLY " == *" omnistore "* ]] || exit 0
log "breakdown"
bd_time() { # bd_time LABEL BYTES CMD...: median of RUNS warm runs, fresh folder each time
    local label=$1 bytes=$2 s=() i t
    shift 2
    for ((i = 0; i <= RUNS; i++)); do   # run 0 is a warm-up
        fresh; "$OMNI" init "$R/ws" >/dev/null; sync; cat "$VIDEO" >/dev/null
        t=$(time_cmd "$@") || { echo "| $label | failed | |"; return; }
        [ $i -gt 0 ] && s+=("$t")
    done
    t=$(median "${s[@]}")
    printf '| %s | %.2f | %.2f |\n' "$label" "$t" "$(calc "$bytes / $t / 1e9")"
}
echo
echo "### Where omnistore add's time goes (same file, warm cache, median of $RUNS)"
echo
echo "| step | s | GB/s |"
echo "|---|---:|---:|"
bd_time 'read only: `cat FILE > /dev/null`' "$BYTES" sh -c "cat '$VIDEO' >/dev/null"
bd_time 'hash only: `openssl dgst -sha256`' "$BYTES" openssl dgst -sha256 "$VIDEO"
bd_time 'copy, no fsync: `dd bs=4M`' "$BYTES" dd if="$VIDEO" of="$R/x" bs=4M
bd_time 'copy + fsync: `dd bs=4M conv=fsync`' "$BYTES" dd if="$VIDEO" of="$R/x" bs=4M conv=fsync
bd_time 'disk write: `dd if=/dev/zero bs=4M count=256 conv=fsync` (1 GiB)' 1073741824 \
    dd if=/dev/zero of="$R/x" bs=4M count=256 conv=fsync
bd_time 'hash + copy, no fsync: `tee FILE2 < FILE \| openssl dgst -sha256`' "$BYTES" \
    sh -c "tee '$R/x' <'$VIDEO' | openssl dgst -sha256"
bd_time 'hash + copy + fsync: the same, then `sync FILE2`' "$BYTES" \
    sh -c "tee '$R/x' <'$VIDEO' | openssl dgst -sha256 && sync '$R/x'"
bd_time '`omnistore add`' "$BYTES" "$OMNI" add --store "$R/ws" "$VIDEO"
SMALL="$DATA_DIR/small-1s.mp4"
[ -s "$SMALL" ] || ffmpeg -v error -y -f lavfi -i testsrc2=s=320x240:r=25:d=1 -c:v libx264 -preset ultrafast \
    -pix_fmt yuv420p "$SMALL"
bd_time "\`omnistore add\` of a $(( $(stat -c %s "$SMALL") / 1024 )) KiB clip: the fixed cost (start-up, probe, SQLite, 7 fsyncs)" \
    "$(stat -c %s "$SMALL")" "$OMNI" add --store "$R/ws" "$SMALL"
# Reference pipelines (Benchmarks/ref-add.c, C + OpenSSL's SHA-256): the same
# copy + hash + fsync, laid out differently.
REF="$WORK_DIR/ref-add"
if [ ! -x "$REF" ] || [ "$BENCH_DIR/ref-add.c" -nt "$REF" ]; then
    apt_install gcc libssl-dev
    cc -O2 -pthread -o "$REF" "$BENCH_DIR/ref-add.c" -lcrypto || log "cannot build ref-add.c"
fi
if [ -x "$REF" ]; then
    for mode in serial serial-sfr threaded threaded-sfr; do
        bd_time "reference \`ref-add $mode\`" "$BYTES" "$REF" "$VIDEO" "$R" "$mode"
    done
fi

# omnistore again, RUNS times under GNU time (CPU) and once under strace (fsync).
walls=() users=() syss=()
for ((i = 1; i <= RUNS; i++)); do
    fresh; "$OMNI" init "$R/ws" >/dev/null; sync; cat "$VIDEO" >/dev/null
    /usr/bin/time -f '%e %U %S' -o "$WORK_DIR/time.txt" "$OMNI" add --store "$R/ws" "$VIDEO" >/dev/null 2>&1
    read -r wall user sys <"$WORK_DIR/time.txt"
    walls+=("$wall") users+=("$user") syss+=("$sys")
done
fresh; "$OMNI" init "$R/ws" >/dev/null; sync; cat "$VIDEO" >/dev/null
strace -f --seccomp-bpf -T -e trace=fsync,fdatasync,sync_file_range -o "$WORK_DIR/strace.txt" \
    "$OMNI" add --store "$R/ws" "$VIDEO" >/dev/null 2>&1
fsyncs=$(grep -cE '(fsync|fdatasync)\(' "$WORK_DIR/strace.txt")
fsync_s=$(grep -oE '<[0-9.]+>$' "$WORK_DIR/strace.txt" | tr -d '<>' | awk '{ s += $1 } END { printf "%.2f", s }')
fsync_max=$(grep -oE '<[0-9.]+>$' "$WORK_DIR/strace.txt" | tr -d '<>' | sort -g | tail -n 1)
fresh
echo
echo "\`omnistore add\` under GNU time, $RUNS runs: wall ${walls[*]} s; user ${users[*]} s; sys ${syss[*]} s" \
    "(medians: wall $(median "${walls[@]}"), user $(median "${users[@]}"), sys $(median "${syss[@]}") s)."
echo "Under strace: $fsyncs fsync calls took ${fsync_s} s in all (the longest: ${fsync_max} s)."
