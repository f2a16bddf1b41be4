#!/usr/bin/env bash
# looks: what perceptual hashing costs (issue 22).
#   - hashing 1080p JPEGs: `omnistore dupes` on a fresh store of JPEGS
#     (default 40) 1920x1080 pictures makes every look (decode at 512 px
#     wide, PDQ) on all cores, then on one core (taskset);
#   - hashing 10 s 1080p30 H.264 clips (vPDQ: a frame a second), CLIPS
#     (default 3) of them, with a keyframe every second and with x264's
#     default (one in the first 250 frames, so the samples are exact frames);
#   - `assets --like` and a warm `dupes` over MANY (default 10000) small
#     distinct pictures, once their looks are cached.
# Prints a Markdown table of wall seconds and milliseconds per picture.
#
# Environment: JPEGS, MANY, RUNS (default 3), OMNISTORE (use this binary
# instead of building).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

JPEGS=${JPEGS:-40}
CLIPS=${CLIPS:-3}
MANY=${MANY:-10000}
RUNS=${RUNS:-3}

apt_install ffmpeg util-linux
OMNI=$(ensure_omnistore) && [ -x "$OMNI" ] || { log "cannot build omnistore"; exit 1; }
export_build_commit

# --- data ----------------------------------------------------------------------
# 1080p JPEGs of smooth random blobs, each seed its own picture.
JPEG_DIR="$DATA_DIR/looks-jpeg-$JPEGS"
if [ "$(ls "$JPEG_DIR" 2>/dev/null | wc -l)" -ne "$JPEGS" ]; then
    rm -rf "$JPEG_DIR" && mkdir -p "$JPEG_DIR"
    ffmpeg -v error -f lavfi -i "color=c=0x806040:size=32x18,noise=alls=100:allf=t+u,scale=1920:1080:flags=bicubic" \
        -frames:v "$JPEGS" -q:v 3 "$JPEG_DIR/p%05d.jpg" || { log "cannot make the JPEGs"; exit 1; }
fi
# Many small PNGs in one ffmpeg run: temporal noise makes every frame another picture.
MANY_DIR="$DATA_DIR/looks-many-$MANY"
if [ "$(ls "$MANY_DIR" 2>/dev/null | wc -l)" -ne "$MANY" ]; then
    rm -rf "$MANY_DIR" && mkdir -p "$MANY_DIR"
    ffmpeg -v error -f lavfi -i "color=size=16x12,noise=alls=100:allf=t+u,scale=128:96:flags=bicubic" \
        -frames:v "$MANY" "$MANY_DIR/s%05d.png" || { log "cannot make the small pictures"; exit 1; }
fi

# 10 s 1080p clips: keyframes every second (gop30) and x264's default (gop250).
CLIP_DIR="$DATA_DIR/looks-clips-$CLIPS"
for gop in 30 250; do
    mkdir -p "$CLIP_DIR/gop$gop"
    for ((i = 1; i <= CLIPS; i++)); do
        clip="$CLIP_DIR/gop$gop/c$i.mp4"
        [ -s "$clip" ] && continue
        ffmpeg -v error -f lavfi -i "mandelbrot=size=1920x1080:rate=30:start_scale=$((i + 1))" -t 10 -c:v libx264 \
            -preset ultrafast -g "$gop" -pix_fmt yuv420p "$clip.tmp.mp4" && mv "$clip.tmp.mp4" "$clip" ||
            { log "cannot make the clips"; exit 1; }
    done
done

fresh_store() { # fresh_store DIR FILES_DIR: a store holding every file of FILES_DIR
    rm -rf "$1" && mkdir -p "$1" && (cd "$1" && "$OMNI" init . >/dev/null && "$OMNI" add -r "$2" >/dev/null)
}

# --- hashing 1080p JPEGs -----------------------------------------------------------
all_cores=(); one_core=()
for ((run = 0; run < RUNS; run++)); do
    fresh_store "$WORK_DIR/looks-jpeg" "$JPEG_DIR"
    all_cores+=("$(cd "$WORK_DIR/looks-jpeg" && time_cmd "$OMNI" dupes)")
    (cd "$WORK_DIR/looks-jpeg" && sqlite3 .omnistore/omnistore.db "DELETE FROM look" 2>/dev/null) ||
        fresh_store "$WORK_DIR/looks-jpeg" "$JPEG_DIR"
    one_core+=("$(cd "$WORK_DIR/looks-jpeg" && time_cmd taskset -c 0 "$OMNI" dupes)")
done

# --- hashing clips -------------------------------------------------------------------
declare -A clip_times
for gop in 30 250; do
    times=()
    for ((run = 0; run < RUNS; run++)); do
        fresh_store "$WORK_DIR/looks-clips" "$CLIP_DIR/gop$gop"
        times+=("$(cd "$WORK_DIR/looks-clips" && time_cmd taskset -c 0 "$OMNI" dupes)")
    done
    clip_times[$gop]=$(median "${times[@]}")
done

# --- many assets -------------------------------------------------------------------
fresh_store "$WORK_DIR/looks-many" "$MANY_DIR"
cold=$(cd "$WORK_DIR/looks-many" && time_cmd "$OMNI" dupes)
QUERY=$(ls "$MANY_DIR" | head -n 1)
like=(); warm=()
for ((run = 0; run < RUNS; run++)); do
    like+=("$(cd "$WORK_DIR/looks-many" && time_cmd "$OMNI" assets --like "$MANY_DIR/$QUERY")")
    warm+=("$(cd "$WORK_DIR/looks-many" && time_cmd "$OMNI" dupes)")
done

cores=$(nproc)
a=$(median "${all_cores[@]}"); o=$(median "${one_core[@]}")
l=$(median "${like[@]}"); w=$(median "${warm[@]}")
echo "## looks ($(cat "$WORK_DIR/build-commit"), $cores cores)"
echo
echo "| what | wall s | ms per picture |"
echo "|---|---|---|"
echo "| dupes, fresh store of $JPEGS 1080p JPEGs, $cores cores | $a | $(calc "$a * 1000 / $JPEGS") |"
echo "| the same on one core | $o | $(calc "$o * 1000 / $JPEGS") |"
echo "| dupes, $CLIPS 10 s 1080p clips, a keyframe a second, one core | ${clip_times[30]} | $(calc "${clip_times[30]} * 1000 / $CLIPS") (a clip) |"
echo "| the same, x264's default keyframes (exact frames) | ${clip_times[250]} | $(calc "${clip_times[250]} * 1000 / $CLIPS") (a clip) |"
echo "| dupes, fresh store of $MANY small PNGs (looks + every pair) | $cold | $(calc "$cold * 1000 / $MANY") |"
echo "| assets --like over $MANY cached looks | $l | $(calc "$l * 1000 / $MANY") |"
echo "| dupes again (incremental: nothing to search) | $w | $(calc "$w * 1000 / $MANY") |"
