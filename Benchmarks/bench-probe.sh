#!/usr/bin/env bash
# bench-probe: `omnistore probe` over 200 short clips in one process against
# one `ffprobe -show_format -show_streams -of json` per clip, and `mediainfo`.
# Prints a Markdown table of wall time, ms per clip and ratios, then the goals.
#
# Environment: RUNS (default 5), CLIPS (default 200), OMNISTORE (use this
# binary instead of building), QUIET_WAIT / QUIET_LOAD (see lib.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
CLIPS=${CLIPS:-200}

apt_install ffmpeg
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit
HAVE_MEDIAINFO=0; apt_try mediainfo && mediainfo --Version >/dev/null 2>&1 && HAVE_MEDIAINFO=1

# --- data: 10 distinct 1-second clips in 4 containers, copied to $CLIPS files ---
SRC="$DATA_DIR/probe-src"
CLIP_DIR="$DATA_DIR/probe-clips-$CLIPS"
make_sources() {
    mkdir -p "$SRC"
    local v="-f lavfi -i testsrc2=s=320x240:r=25:d=1" a="-f lavfi -i sine=f=440:d=1"
    local bars="-f lavfi -i smptebars=s=640x360:r=30:d=1"
    # name|inputs|codec options
    local specs=(
        "a.mp4|$v $a|-c:v libx264 -preset ultrafast -c:a aac"
        "b.mp4|$bars|-c:v libx264 -preset ultrafast"
        "c.mp4|$v $a|-c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1 -c:a aac"
        "d.mkv|$v $a|-c:v libx264 -preset ultrafast -c:a libmp3lame"
        "e.mkv|$bars $a|-c:v ffv1 -c:a flac"
        "f.mkv|$v $a|-c:v mpeg4 -c:a libopus"
        "g.webm|$v $a|-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus"
        "h.webm|$bars $a|-c:v libvpx -deadline realtime -cpu-used 8 -c:a libvorbis"
        "i.mov|$v $a|-c:v libx264 -preset ultrafast -c:a aac"
        "j.mov|$bars $a|-c:v mjpeg -c:a pcm_s16le"
    )
    local spec name inputs opts
    for spec in "${specs[@]}"; do
        IFS='|' read -r name inputs opts <<<"$spec"
        [ -s "$SRC/$name" ] && continue
        # shellcheck disable=SC2086
        ffmpeg -v error -y $inputs $opts -pix_fmt yuv420p -shortest "$SRC/$name.tmp.${name##*.}" &&
            mv "$SRC/$name.tmp.${name##*.}" "$SRC/$name" || return 1
    done
}
make_clips() {
    make_sources || return 1
    rm -rf "$CLIP_DIR.tmp" && mkdir -p "$CLIP_DIR.tmp"
    local sources=("$SRC"/*) i s
    for ((i = 0; i < CLIPS; i++)); do
        s=${sources[$((i % ${#sources[@]}))]}
        cp "$s" "$(printf '%s/clip-%03d.%s' "$CLIP_DIR.tmp" "$i" "${s##*.}")"
    done
    rm -rf "$CLIP_DIR" && mv "$CLIP_DIR.tmp" "$CLIP_DIR"
}
[ "$(ls "$CLIP_DIR" 2>/dev/null | wc -l)" -eq "$CLIPS" ] || make_clips || { log "cannot make the clips"; exit 1; }
FILES=("$CLIP_DIR"/*)
log "$CLIPS clips in $CLIP_DIR: $(ls "$CLIP_DIR" | sed 's/.*\.//' | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')$(du -sh "$CLIP_DIR" | cut -f1)"

# Sanity: omnistore must probe every clip.
n=$("$OMNI" probe --json "${FILES[@]}" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))') || n=0
[ "$n" -eq "$CLIPS" ] || { log "omnistore probe returned $n of $CLIPS results"; exit 1; }

# --- rows --------------------------------------------------------------------
run_omni() { "$OMNI" probe "${FILES[@]}"; }
run_omni_json() { "$OMNI" probe --json "${FILES[@]}"; }
run_omni_one() { "$OMNI" probe "${FILES[0]}"; }
run_ffprobe_each() {
    local f
    for f in "${FILES[@]}"; do ffprobe -v error -show_format -show_streams -of json "$f" || return 1; done
}
run_mediainfo_all() { mediainfo --Output=JSON "${FILES[@]}"; }
run_mediainfo_each() {
    local f
    for f in "${FILES[@]}"; do mediainfo --Output=JSON "$f" || return 1; done
}
ROWS=(omni omni_json omni_one ffprobe_each mediainfo_all mediainfo_each)
declare -A LABEL=(
    [omni]="**\`omnistore probe\` ×$CLIPS, one process** (table)"
    [omni_json]="\`omnistore probe --json\` ×$CLIPS, one process"
    [omni_one]='`omnistore probe` of 1 clip (process start-up + 1 probe)'
    [ffprobe_each]="\`ffprobe -v error -show_format -show_streams -of json\`, one process per clip ×$CLIPS"
    [mediainfo_all]="\`mediainfo --Output=JSON\` ×$CLIPS, one process"
    [mediainfo_each]="\`mediainfo --Output=JSON\`, one process per clip ×$CLIPS")
declare -A PER=([omni]=$CLIPS [omni_json]=$CLIPS [omni_one]=1 [ffprobe_each]=$CLIPS [mediainfo_all]=$CLIPS
    [mediainfo_each]=$CLIPS)
declare -A AVAILABLE=([mediainfo_all]=$HAVE_MEDIAINFO [mediainfo_each]=$HAVE_MEDIAINFO)
declare -A MEDIAN TIMES NOTE

wait_for_quiet
cat "${FILES[@]}" >/dev/null   # warm page cache
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for row in "${ROWS[@]}"; do
    if [ "${AVAILABLE[$row]:-1}" != 1 ]; then NOTE[$row]="not installable here"; continue; fi
    runs=$RUNS
    case $row in *_each) runs=$(( RUNS < 3 ? RUNS : 3 )) ;; esac   # the slow loops: 3 runs
    samples=()
    "run_$row" >/dev/null 2>&1   # one untimed warm-up (dynamic loader, page cache)
    for ((i = 1; i <= runs; i++)); do
        if t=$(time_cmd "run_$row"); then samples+=("$t"); log "$row run $i: $t s"
        else NOTE[$row]="failed: $(tail -n 1 "$WORK_DIR/last.log")"; break; fi
    done
    if [ ${#samples[@]} -eq "$runs" ]; then MEDIAN[$row]=$(median "${samples[@]}"); TIMES[$row]="${samples[*]}"; fi
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- table -----------------------------------------------------------------
OM=${MEDIAN[omni]:-}
echo
echo "### omnistore probe vs ffprobe and mediainfo: $CLIPS clips of 1 s (mp4/mkv/webm/mov), warm page cache"
echo
echo "| tool | median s | runs (s) | ms per clip | × omnistore probe |"
echo "|---|---:|---|---:|---:|"
for row in "${ROWS[@]}"; do
    if [ -n "${MEDIAN[$row]:-}" ]; then
        m=${MEDIAN[$row]}
        ratio=$([ -n "$OM" ] && awk -v a="$m" -v b="$OM" 'BEGIN { printf "%.1f×", a / b }' || echo "-")
        [ "$row" = omni_one ] && ratio="-"
        printf '| %s | %.3f | %s | %.2f | %s |\n' "${LABEL[$row]}" "$m" "${TIMES[$row]}" \
            "$(calc "$m * 1000 / ${PER[$row]}")" "$ratio"
    else
        printf '| %s | - | %s | - | - |\n' "${LABEL[$row]}" "${NOTE[$row]:-not run}"
    fi
done
echo
echo "Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER (2 cores; other work on the machine shows here)."
echo "Versions: omnistore $("$OMNI" --version 2>/dev/null | head -n 1) (built at ${OMNISTORE_COMMIT:-?}), $(ffprobe -version | head -n 1 | awk '{ print "ffprobe " $3 }')$([ "$HAVE_MEDIAINFO" = 1 ] && mediainfo --Version | tail -n 1 | sed 's/^.*v/, mediainfo v/')."
if [ -n "$OM" ] && [ -n "${MEDIAN[omni_one]:-}" ]; then
    echo "Start-up excluded: ($OM − ${MEDIAN[omni_one]}) s / $((CLIPS - 1)) clips =" \
        "$(awk -v a="$OM" -v b="${MEDIAN[omni_one]}" -v n="$CLIPS" 'BEGIN { printf "%.2f", (a - b) * 1000 / (n - 1) }') ms per clip."
fi

echo
echo "### Goals"
echo
if [ -n "$OM" ]; then
    ms=$(awk -v m="$OM" -v n="$CLIPS" 'BEGIN { printf "%.2f", m * 1000 / n }')
    echo "- ≤ 1.5 ms per clip: **$(awk -v x="$ms" 'BEGIN { print (x <= 1.5) ? "MET" : "MISSED" }')** ($ms ms)"
    if [ -n "${MEDIAN[ffprobe_each]:-}" ]; then
        x=$(awk -v a="${MEDIAN[ffprobe_each]}" -v b="$OM" 'BEGIN { printf "%.1f", a / b }')
        echo "- ≥ 30× faster than one ffprobe per file: **$(awk -v x="$x" 'BEGIN { print (x >= 30) ? "MET" : "MISSED" }')** (${x}×)"
    fi
else
    echo "- not evaluated: omnistore probe did not run"
fi
