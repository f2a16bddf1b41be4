#!/usr/bin/env bash
# bench-frames: omnistore's in-process frames against the ffmpeg CLI and
# ffmpegthumbnailer, on the same files in one run:
#   - one 320-wide thumbnail at 60 s of a 2-minute 1080p30 H.264 clip
#     (`omnistore thumbnail` with a cold and a warm cache, `ffmpeg -ss 60 -i X
#     -frames:v 1 -vf scale=320:-1`, ffmpegthumbnailer, and ref-frame.c: a C
#     program that does only the same steps, the floor on this machine);
#   - a 5x2 contact sheet of the same clip (`omnistore sheet` from keyframes
#     and --exact, `ffmpeg -vf fps=…,scale=320:-1,tile=5x2`, 10 separate
#     `ffmpeg -ss` seeks);
#   - SSIM of two 10 s 720p clips (`omnistore diff --visual`, which computes
#     SSIM and PSNR, against `ffmpeg -lavfi ssim` and `ssim` + `psnr`).
# Rows are run in rounds (each row once per round) so a change in machine
# load hits every row alike. Prints a Markdown table (median and best wall
# seconds, ratio to omnistore) and the goals.
#
# Environment: RUNS (default 5), OMNISTORE (use this binary instead of
# building), QUIET_WAIT / QUIET_LOAD (see lib.sh).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}

apt_install ffmpeg time
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit
HAVE_FFMT=0; apt_try ffmpegthumbnailer && command -v ffmpegthumbnailer >/dev/null && HAVE_FFMT=1
# The yardstick (Benchmarks/ref-frame.c): the same thumbnail from a C program
# that links the same FFmpeg libraries and does nothing else.
REF="$WORK_DIR/ref-frame"
HAVE_REF=1
if [ ! -x "$REF" ] || [ "$BENCH_DIR/ref-frame.c" -nt "$REF" ]; then
    apt_install gcc pkg-config
    # shellcheck disable=SC2046
    cc -O2 -o "$REF" "$BENCH_DIR/ref-frame.c" $(pkg-config --cflags --libs libavformat libavcodec libswscale libavutil) -lm ||
        { log "cannot build ref-frame.c"; HAVE_REF=0; }
fi

# --- data ---------------------------------------------------------------------
FRAMES_DATA="$DATA_DIR/frames"
LONG="$FRAMES_DATA/long-1080p.mp4"     # 2 min 1080p30, x264 veryfast: B-frames, keyframes every 250 frames
CLIP_A="$FRAMES_DATA/a-720p.mp4"       # 10 s 720p24
CLIP_B="$FRAMES_DATA/b-720p.mp4"       # the same, graded (gamma 1.3) and re-encoded
mkdir -p "$FRAMES_DATA"
make_clip() { # make_clip OUT FFMPEG-ARGS...
    local out=$1; shift
    [ -s "$out" ] && return 0
    log "making $(basename "$out")"
    ffmpeg -v error -y -nostdin "$@" "$out.tmp.mp4" && mv "$out.tmp.mp4" "$out"
}
make_clip "$LONG" -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 120 -c:v libx264 -preset veryfast -pix_fmt yuv420p ||
    { log "cannot make $LONG"; exit 1; }
make_clip "$CLIP_A" -f lavfi -i testsrc2=size=1280x720:rate=24 -t 10 -c:v libx264 -preset veryfast -pix_fmt yuv420p ||
    { log "cannot make $CLIP_A"; exit 1; }
make_clip "$CLIP_B" -i "$CLIP_A" -vf eq=gamma=1.3 -c:v libx264 -preset veryfast -pix_fmt yuv420p ||
    { log "cannot make $CLIP_B"; exit 1; }

# --- a store holding the three clips ----------------------------------------
STORE="$WORK_DIR/frames-store"
OUT="$WORK_DIR/frames-out"
rm -rf "$STORE" "$OUT" && mkdir -p "$STORE" "$OUT"
"$OMNI" init "$STORE" >/dev/null && "$OMNI" --help >/dev/null || { log "omnistore does not run"; exit 1; }
asset_id() { "$OMNI" add --store "$STORE" --json "$1" | python3 -c 'import json, sys; d = json.load(sys.stdin); e = d[0] if isinstance(d, list) else d; print(e.get("asset", e)["id"])'; }
LONG_ID=$(asset_id "$LONG") && A_ID=$(asset_id "$CLIP_A") && B_ID=$(asset_id "$CLIP_B") ||
    { log "cannot add the clips to $STORE"; exit 1; }
TIMES=$(python3 -c 'print(" ".join("%.3f" % ((i + 0.5) * 120 / 10) for i in range(10)))')

# --- rows ---------------------------------------------------------------------
run_omni_thumb() { rm -rf "$STORE/.omnistore/cache"; "$OMNI" thumbnail --store "$STORE" "$LONG_ID" --at 60 --width 320 -o "$OUT/omni.png"; }
run_omni_thumb_cached() { "$OMNI" thumbnail --store "$STORE" "$LONG_ID" --at 60 --width 320 -o "$OUT/omni-cached.png"; }
run_ref_thumb() { "$REF" thumbnail "$LONG" 60 320 "$OUT/ref.png"; }
run_ref_decode() { "$REF" decode "$LONG" 60 320 "$OUT/ref-decode.png"; }
run_ffmpeg_thumb() { ffmpeg -v error -y -nostdin -ss 60 -i "$LONG" -frames:v 1 -vf scale=320:-1 "$OUT/ffmpeg.png"; }
run_ffmt_thumb() { ffmpegthumbnailer -i "$LONG" -o "$OUT/ffmt.png" -s 320 -t 00:01:00; }
run_omni_sheet() { "$OMNI" sheet --store "$STORE" "$LONG_ID" --grid 5x2 --width 320 -o "$OUT/sheet.png"; }
run_omni_sheet_exact() { "$OMNI" sheet --store "$STORE" "$LONG_ID" --grid 5x2 --width 320 --exact -o "$OUT/sheet-exact.png"; }
run_ffmpeg_tile() { ffmpeg -v error -y -nostdin -i "$LONG" -vf fps=10/120,scale=320:-1,tile=5x2 -frames:v 1 "$OUT/tile.png"; }
run_ffmpeg_seeks() {
    local t i=0
    for t in $TIMES; do
        i=$((i + 1))
        ffmpeg -v error -y -nostdin -ss "$t" -i "$LONG" -frames:v 1 -vf scale=320:-1 "$OUT/seek-$i.png" || return 1
    done
}
run_omni_diff() { "$OMNI" diff --store "$STORE" "$A_ID" "$B_ID" --visual; }
run_ffmpeg_ssim() { ffmpeg -nostdin -i "$CLIP_A" -i "$CLIP_B" -lavfi ssim -f null -; }
run_ffmpeg_ssim_psnr() { ffmpeg -nostdin -i "$CLIP_A" -i "$CLIP_B" -lavfi '[0:v][1:v]ssim;[0:v][1:v]psnr' -f null -; }

ROWS=(omni_thumb omni_thumb_cached ref_thumb ref_decode ffmpeg_thumb ffmt_thumb omni_sheet omni_sheet_exact ffmpeg_tile ffmpeg_seeks
    omni_diff ffmpeg_ssim ffmpeg_ssim_psnr)
declare -A LABEL=(
    [omni_thumb]='**`omnistore thumbnail --at 60 --width 320`**, cold cache'
    [omni_thumb_cached]='`omnistore thumbnail` again (served from the cache)'
    [ref_thumb]='yardstick: `ref-frame thumbnail` (C, the same steps, nothing else)'
    [ref_decode]='yardstick: `ref-frame decode` (C, seek and decode only: no scale, PNG or file)'
    [ffmpeg_thumb]='`ffmpeg -ss 60 -i X -frames:v 1 -vf scale=320:-1 out.png`'
    [ffmt_thumb]='`ffmpegthumbnailer -s 320 -t 00:01:00`'
    [omni_sheet]='**`omnistore sheet --grid 5x2 --width 320`** (keyframes)'
    [omni_sheet_exact]='`omnistore sheet … --exact` (exact frames)'
    [ffmpeg_tile]='`ffmpeg -vf fps=10/120,scale=320:-1,tile=5x2 -frames:v 1`'
    [ffmpeg_seeks]='10 × `ffmpeg -ss T -i X -frames:v 1 -vf scale=320:-1`'
    [omni_diff]='**`omnistore diff A B --visual`** (luma SSIM + PSNR)'
    [ffmpeg_ssim]='`ffmpeg -i A -i B -lavfi ssim -f null -`'
    [ffmpeg_ssim_psnr]='`ffmpeg -i A -i B -lavfi "ssim;psnr" -f null -`')
declare -A GROUP=([omni_thumb]=thumb [omni_thumb_cached]=thumb [ref_thumb]=thumb [ref_decode]=thumb [ffmpeg_thumb]=thumb [ffmt_thumb]=thumb
    [omni_sheet]=sheet [omni_sheet_exact]=sheet [ffmpeg_tile]=sheet [ffmpeg_seeks]=sheet
    [omni_diff]=ssim [ffmpeg_ssim]=ssim [ffmpeg_ssim_psnr]=ssim)
declare -A BASE=([thumb]=omni_thumb [sheet]=omni_sheet [ssim]=omni_diff)
declare -A AVAILABLE=([ffmt_thumb]=$HAVE_FFMT [ref_thumb]=$HAVE_REF [ref_decode]=$HAVE_REF)
declare -A SAMPLES NOTE MEDIAN BEST

wait_for_quiet
cat "$LONG" "$CLIP_A" "$CLIP_B" >/dev/null   # warm page cache
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for row in "${ROWS[@]}"; do   # one untimed warm-up each (dynamic loader, page cache, cache file)
    [ "${AVAILABLE[$row]:-1}" = 1 ] || { NOTE[$row]="not installable here"; continue; }
    "run_$row" >/dev/null 2>&1 || NOTE[$row]="failed: $(run_$row 2>&1 | tail -n 1)"
done
for ((i = 1; i <= RUNS; i++)); do
    for row in "${ROWS[@]}"; do
        [ -z "${NOTE[$row]:-}" ] || continue
        if t=$(time_cmd "run_$row"); then SAMPLES[$row]="${SAMPLES[$row]:-} $t"
        else NOTE[$row]="failed: $(tail -n 1 "$WORK_DIR/last.log")"; fi
    done
    log "round $i of $RUNS done"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
for row in "${ROWS[@]}"; do
    [ -n "${SAMPLES[$row]:-}" ] && [ -z "${NOTE[$row]:-}" ] || continue
    # shellcheck disable=SC2086
    MEDIAN[$row]=$(median ${SAMPLES[$row]})
    BEST[$row]=$(printf '%s\n' ${SAMPLES[$row]} | sort -g | head -n 1)
done

# --- table --------------------------------------------------------------------
echo
echo "### Frames: omnistore vs the ffmpeg CLI and ffmpegthumbnailer ($RUNS rounds, warm page cache)"
echo
echo "| task | tool | median s | best s | × omnistore |"
echo "|---|---|---:|---:|---:|"
declare -A TASK=([thumb]="thumbnail at 60 s of 2 min 1080p30" [sheet]="5x2 sheet of 2 min 1080p30" [ssim]="SSIM, two 10 s 720p24 clips")
for row in "${ROWS[@]}"; do
    group=${GROUP[$row]}
    base=${MEDIAN[${BASE[$group]}]:-}
    if [ -n "${MEDIAN[$row]:-}" ]; then
        ratio="-"
        [ -n "$base" ] && [ "$row" != "${BASE[$group]}" ] &&
            ratio=$(awk -v a="${MEDIAN[$row]}" -v b="$base" 'BEGIN { printf "%.2f×", a / b }')
        printf '| %s | %s | %.3f | %.3f | %s |\n' "${TASK[$group]}" "${LABEL[$row]}" "${MEDIAN[$row]}" "${BEST[$row]}" "$ratio"
    else
        printf '| %s | %s | - | - | %s |\n' "${TASK[$group]}" "${LABEL[$row]}" "${NOTE[$row]:-not run}"
    fi
done
echo
echo "Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER ($(nproc) cores)."
echo "Versions: omnistore ${OMNISTORE_COMMIT:-?}, $(ffmpeg -version | head -n 1 | awk '{ print "ffmpeg " $3 }')$([ "$HAVE_FFMT" = 1 ] && dpkg-query -W -f=', ffmpegthumbnailer ${Version}' ffmpegthumbnailer 2>/dev/null)."

# Check that the thumbnail is the frame ffmpeg gives (same decoder and scaler: expect identical pixels).
if [ -s "$OUT/omni.png" ] && [ -s "$OUT/ffmpeg.png" ]; then
    psnr=$(ffmpeg -nostdin -i "$OUT/omni.png" -i "$OUT/ffmpeg.png" -lavfi psnr -f null - 2>&1 | grep -o 'average:[^ ]*' | cut -d: -f2)
    echo "Thumbnail check: PSNR of omnistore's thumbnail against ffmpeg's: ${psnr:-?} dB (inf = identical)."
fi
if ssim_line=$(ffmpeg -nostdin -i "$CLIP_A" -i "$CLIP_B" -lavfi ssim -f null - 2>&1 | grep -o 'Y:[0-9.]*'); then
    ours=$("$OMNI" diff --store "$STORE" "$A_ID" "$B_ID" --visual --json | python3 -c 'import json, sys; print("%.6f" % json.load(sys.stdin)["visual"]["ssim"]["mean"])')
    echo "SSIM check: ffmpeg $ssim_line, omnistore Y:$ours."
fi

echo
echo "### Goals"
echo
goal() { # goal LABEL ROW BASE-ROW FACTOR
    local a=${MEDIAN[$2]:-} b=${MEDIAN[$3]:-}
    if [ -z "$a" ] || [ -z "$b" ]; then echo "- $1: not evaluated"; return; fi
    local x
    x=$(awk -v a="$b" -v b="$a" 'BEGIN { printf "%.2f", a / b }')
    echo "- $1: **$(awk -v x="$x" -v f="$4" 'BEGIN { print (x >= f) ? "MET" : "MISSED" }')** (${x}×)"
}
goal "thumbnail ≥ 2× faster than the ffmpeg CLI" omni_thumb ffmpeg_thumb 2
if [ -n "${MEDIAN[ref_thumb]:-}" ] && [ -n "${MEDIAN[ffmpeg_thumb]:-}" ]; then
    echo "  - the C yardstick is $(awk -v a="${MEDIAN[ffmpeg_thumb]}" -v b="${MEDIAN[ref_thumb]}" 'BEGIN { printf "%.2f", a / b }')× faster than the ffmpeg CLI$([ -n "${MEDIAN[ref_decode]:-}" ] && awk -v a="${MEDIAN[ffmpeg_thumb]}" -v b="${MEDIAN[ref_decode]}" 'BEGIN { printf " (%.2f× for the decode alone)", a / b }'); omnistore takes $(awk -v a="${MEDIAN[omni_thumb]:-0}" -v b="${MEDIAN[ref_thumb]}" 'BEGIN { printf "%.0f%%", (a / b - 1) * 100 }') longer than it"
fi
goal "sheet ≥ 3× faster than the fps+tile chain" omni_sheet ffmpeg_tile 3
goal "SSIM at least as fast as ffmpeg -lavfi ssim" omni_diff ffmpeg_ssim 1
