#!/usr/bin/env bash
# bench-remote: push a store of 200 clips plus one 1 GiB clip to an
# S3-compatible server on 127.0.0.1 (moto), then clone it back, against
# `aws s3 sync` up and down and `dvc push` / `dvc pull` on the same data and
# the same server. Prints a Markdown table of wall times and ratios.
#
# Each measured command gets a fresh moto process (all in memory), so no tool
# inherits another's state; starting moto and filling buckets is not timed.
#
# Environment: RUNS (default 3), BIG_MIB (default 1024), CLIPS (default 200),
# ONLY (rows to measure, such as "omni_push aws_up"; default all),
# OMNISTORE (use this binary instead of building), QUIET_WAIT / QUIET_LOAD (lib.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
BIG_MIB=${BIG_MIB:-1024}
CLIPS=${CLIPS:-200}
ONLY=${ONLY:-omni_push omni_clone aws_up aws_down dvc_push dvc_pull}

apt_install ffmpeg curl
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit 2>/dev/null || true

# --- tools: moto (server), awscli, dvc with its S3 plugin -----------------------
python3 -c 'import moto.server' 2>/dev/null || python3 -m pip install -q "moto[server]" >&2 || { log "cannot install moto"; exit 1; }
AWS=$(command -v aws || true)
if [ -z "$AWS" ]; then python3 -m pip install -q awscli >&2 && AWS=$(command -v aws); fi
DVC=$(ensure_dvc) || DVC=""
if [ -n "$DVC" ] && ! "$(dirname "$DVC")/python" -c 'import dvc_s3' 2>/dev/null; then
    "$(dirname "$DVC")/pip" install -q dvc-s3 >&2 || { log "cannot install dvc-s3; skipping dvc"; DVC=""; }
fi

export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
MOTO_PID=""
stop_moto() { [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null; MOTO_PID=""; }
trap stop_moto EXIT
start_moto() { # starts a fresh server and sets ENDPOINT
    stop_moto
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -m moto.server -H 127.0.0.1 -p "$port" >"$WORK_DIR/moto.log" 2>&1 &
    MOTO_PID=$!
    ENDPOINT="http://127.0.0.1:$port"
    for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT" && break; sleep 0.1; done
    curl -s -o /dev/null -X PUT "$ENDPOINT/bench" || { log "moto did not start"; exit 1; }
    export AWS_ENDPOINT_URL="$ENDPOINT"
}

# --- data: CLIPS distinct short clips and one BIG_MIB MiB clip --------------------
DATA="$WORK_DIR/remote-data-$CLIPS-$BIG_MIB"
BIG_SRC="$DATA_DIR/video-${BIG_MIB}m.mp4"
if [ ! -s "$BIG_SRC" ]; then
    log "no $BIG_SRC: making it with bench-add.sh's recipe"
    SIZE_MIB=$BIG_MIB RUNS=0 ONLY=none BREAKDOWN=0 bash "$BENCH_DIR/bench-add.sh" >/dev/null 2>&1
    [ -s "$BIG_SRC" ] || { log "cannot make $BIG_SRC"; exit 1; }
fi
if [ "$(ls "$DATA/clips" 2>/dev/null | wc -l)" -ne "$CLIPS" ] || [ ! -s "$DATA/big/big.mp4" ]; then
    log "making $CLIPS distinct clips"
    rm -rf "$DATA" && mkdir -p "$DATA/clips" "$DATA/big"
    ffmpeg -v error -y -f lavfi -i testsrc2=s=640x360:r=25:d=4 -f lavfi -i sine=f=440:d=4 \
        -c:v libx264 -preset ultrafast -c:a aac -shortest "$DATA/src.mp4" || exit 1
    for ((i = 0; i < CLIPS; i++)); do
        # Same pictures, distinct bytes: every clip is its own object for every tool.
        ffmpeg -v error -y -i "$DATA/src.mp4" -c copy -metadata comment="clip $i" "$(printf '%s/clips/clip-%03d.mp4' "$DATA" "$i")" || exit 1
    done
    rm -f "$DATA/src.mp4"
    cp "$BIG_SRC" "$DATA/big/big.mp4"
fi
BYTES=$(du -sb "$DATA/clips" "$DATA/big" | awk '{ s += $1 } END { print s }')
log "data: $CLIPS clips ($(du -sh "$DATA/clips" | cut -f1)) + $(du -sh "$DATA/big/big.mp4" | cut -f1) in one clip"

# --- omnistore: a store with one turn per clip (made once, not timed) ----------
STORE="$WORK_DIR/remote-store-$CLIPS-$BIG_MIB"
if [ ! -f "$STORE/.done" ]; then
    log "recording $((CLIPS + 1)) turns into $STORE"
    rm -rf "$STORE" && mkdir -p "$STORE"
    (cd "$STORE" && "$OMNI" init >/dev/null &&
        "$OMNI" record "$DATA/big/big.mp4" -m "the long take" >/dev/null &&
        for f in "$DATA"/clips/*; do "$OMNI" record "$f" -m "take $(basename "$f")" >/dev/null || exit 1; done) || exit 1
    touch "$STORE/.done"
fi

omni_push() { (cd "$STORE" && "$OMNI" remote remove bench >/dev/null 2>&1; "$OMNI" remote add bench s3://bench/omni && "$OMNI" push bench main); }
omni_clone() { rm -rf "$WORK_DIR/omni-clone" && "$OMNI" clone s3://bench/omni "$WORK_DIR/omni-clone"; }
aws_up() { "$AWS" s3 sync "$DATA" s3://bench/aws --endpoint-url "$ENDPOINT" --only-show-errors; }
aws_down() { rm -rf "$WORK_DIR/aws-down" && "$AWS" s3 sync s3://bench/aws "$WORK_DIR/aws-down" --endpoint-url "$ENDPOINT" --only-show-errors; }
DVC_DIR="$WORK_DIR/dvc-repo"
dvc_prepare() { # a DVC project tracking the same files (hashing is not timed)
    rm -rf "$DVC_DIR" && mkdir -p "$DVC_DIR" && cp -al "$DATA/clips" "$DVC_DIR/clips" && cp -al "$DATA/big" "$DVC_DIR/big" &&
        (cd "$DVC_DIR" && "$DVC" init -q --no-scm && "$DVC" add -q clips big &&
            "$DVC" remote add -q -d bench s3://bench/dvc && "$DVC" remote modify -q bench endpointurl "$ENDPOINT")
}
dvc_push() { (cd "$DVC_DIR" && "$DVC" push -q); }
dvc_pull() {
    local to="$WORK_DIR/dvc-pull"
    rm -rf "$to" && mkdir -p "$to" && cp -a "$DVC_DIR/.dvc" "$to/" && rm -rf "$to/.dvc/cache" "$to/.dvc/tmp" &&
        cp "$DVC_DIR"/*.dvc "$to/" && (cd "$to" && "$DVC" pull -q)
}

# measure NAME SETUP CMD: RUNS times, each on a fresh server after SETUP
declare -A T
measure() {
    local name=$1 setup=$2 cmd=$3 times=() t r
    case " $ONLY " in *" $name "*) ;; *) return 0 ;; esac
    for ((r = 0; r < RUNS; r++)); do
        start_moto
        $setup >"$WORK_DIR/setup.log" 2>&1 || { log "setup for $name failed"; tail -n 5 "$WORK_DIR/setup.log" >&2; return 1; }
        sync
        wait_for_quiet
        t=$(time_cmd $cmd) || return 1
        times+=("$t")
        log "$name: ${t} s"
    done
    T[$name]=$(median "${times[@]}")
}
none() { :; }
seed_omni() { omni_push; }
seed_aws() { aws_up; }
seed_dvc() { dvc_prepare && dvc_push; }

measure omni_push none omni_push
measure omni_clone seed_omni omni_clone
# The clone is complete and verified: every object re-hashed.
[ -d "$WORK_DIR/omni-clone" ] && { (cd "$WORK_DIR/omni-clone" && "$OMNI" fsck --fast >/dev/null) || log "WARNING: the clone is not fsck-clean"; }
[ -n "$AWS" ] && measure aws_up none aws_up && measure aws_down seed_aws aws_down
[ -n "$DVC" ] && measure dvc_push dvc_prepare dvc_push && measure dvc_pull seed_dvc dvc_pull
stop_moto

mb=$(calc "$BYTES / 1048576")
row() { # row LABEL KEY REF_KEY
    local t=${T[$2]:-} ref=${T[$3]:-}
    [ -z "$t" ] && { echo "| $1 | – | – | – |"; return; }
    local ratio="–"; [ -n "$ref" ] && ratio="$(calc "$t / $ref")×"
    echo "| $1 | $t | $(calc "$mb / $t") | $ratio |"
}
echo
echo "### Remote: $CLIPS clips + one ${BIG_MIB} MiB clip ($(calc "$BYTES / 1073741824") GiB) to moto on 127.0.0.1, median of $RUNS"
echo
echo "| command | seconds | MiB/s | vs aws s3 sync |"
echo "|---|---|---|---|"
row "omnistore push" omni_push aws_up
row "aws s3 sync (up)" aws_up aws_up
row "dvc push" dvc_push aws_up
row "omnistore clone (verifies every SHA-256)" omni_clone aws_down
row "aws s3 sync (down)" aws_down aws_down
row "dvc pull" dvc_pull aws_down
echo
echo "Goals: at least as fast as dvc, within 1.3× of aws s3 sync."
