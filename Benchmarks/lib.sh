# Shared helpers for the benchmark scripts. Source it; do not run it.
# shellcheck shell=bash

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
DATA_DIR="$BENCH_DIR/data"    # generated media (git-ignored)
WORK_DIR="$BENCH_DIR/.work"   # stores, repos, venv, logs (git-ignored)
mkdir -p "$DATA_DIR" "$WORK_DIR"

log() { printf '>> %s\n' "$*" >&2; }

# --- installing what the benchmarks need (idempotent) ----------------------

APT_UPDATED=0
apt_install() { # apt_install PKG... : installs the Debian packages that are missing
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
        APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# Tries to install one optional Debian package; returns non-zero (and says so) if it cannot.
apt_try() {
    apt_install "$1" || { log "could not install '$1' from apt"; return 1; }
}

# dvc lives in its own venv under .work so the system Python is left alone.
DVC_VENV="$WORK_DIR/venv-dvc"
ensure_dvc() { # prints the dvc command, or fails
    if [ -x "$DVC_VENV/bin/dvc" ]; then echo "$DVC_VENV/bin/dvc"; return 0; fi
    command -v python3 >/dev/null || apt_try python3 || return 1
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt_try python3-venv || return 1
    log "pip install dvc (into $DVC_VENV)"
    { python3 -m venv "$DVC_VENV" && "$DVC_VENV/bin/pip" install -q dvc; } >&2 || return 1
    echo "$DVC_VENV/bin/dvc"
}

# Builds the release CLI (unless OMNISTORE is set) and prints its path.
# Call it as OMNI=$(ensure_omnistore) && export_build_commit.
ensure_omnistore() {
    if [ -n "${OMNISTORE:-}" ]; then
        echo "${OMNISTORE_COMMIT:-? (given binary $OMNISTORE)}" >"$WORK_DIR/build-commit"
        echo "$OMNISTORE"
        return 0
    fi
    (cd "$REPO_DIR" && git rev-parse --short HEAD) >"$WORK_DIR/build-commit" 2>/dev/null
    (cd "$REPO_DIR" && git status --porcelain -- Sources Package.swift | grep -q .) &&
        sed -i 's/$/ + uncommitted edits/' "$WORK_DIR/build-commit"
    # Build dependencies, as .ci/run installs them.
    apt_install libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libsqlite3-dev \
        libcurl4-openssl-dev pkg-config >&2
    log "swift build -c release --static-swift-stdlib --product omnistore (as scripts/bootstrap builds it)"
    local bin="$REPO_DIR/.build/release/omnistore"
    if ! (cd "$REPO_DIR" && swift build -c release --static-swift-stdlib --product omnistore >"$WORK_DIR/build.log" 2>&1); then
        grep -m 3 'error:' "$WORK_DIR/build.log" >&2
        [ -x "$bin" ] || return 1
        # The work tree can be mid-edit; an older binary is still worth measuring.
        log "WARNING: the build failed; measuring the existing binary built $(date -r "$bin" '+%Y-%m-%d %H:%M')"
        echo "an older build ($(date -r "$bin" '+%H:%M'))" >"$WORK_DIR/build-commit"
    fi
    echo "$bin"
}

# The commit the binary was built from (set by ensure_omnistore; kept when
# OMNISTORE names a binary that run-all.sh built).
export_build_commit() {
    [ -n "${OMNISTORE_COMMIT:-}" ] && return 0
    OMNISTORE_COMMIT=$(cat "$WORK_DIR/build-commit" 2>/dev/null || echo '?')
    export OMNISTORE_COMMIT
}

# --- timing ----------------------------------------------------------------

# now: seconds since the epoch with microseconds (bash 5's EPOCHREALTIME).
now() { echo "${EPOCHREALTIME/,/.}"; }

# time_cmd CMD...: runs CMD with its output sent to $WORK_DIR/last.log and
# prints the wall seconds. Fails if CMD fails.
time_cmd() {
    local t0 t1 rc
    t0=$(now)
    "$@" >"$WORK_DIR/last.log" 2>&1
    rc=$?
    t1=$(now)
    if [ $rc -ne 0 ]; then
        log "FAILED (exit $rc): $*"
        tail -n 5 "$WORK_DIR/last.log" >&2
        return $rc
    fi
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() { # median NUM...
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# calc EXPR: floating point arithmetic through awk.
calc() { awk "BEGIN { printf \"%.4f\n\", $1 }"; }

# --- machine description ---------------------------------------------------

machine_info() {
    local cpu mem fs
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    mem=$(free -h | awk '/^Mem:/ { print $2 }')
    fs=$(df -PT "$WORK_DIR" | awk 'NR == 2 { print $2 " on " $1 }')
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores, CPU \"$cpu\" (SHA extensions: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)), $mem memory"
    echo "- filesystem of Benchmarks/.work: $fs"
    echo "- kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "- omnistore: release build of ${OMNISTORE_COMMIT:-?}"
}

# The machine may be shared (other builds and test runs): wait, up to
# QUIET_WAIT seconds (default 600), for the 1-minute load average to fall
# below QUIET_LOAD (default 1.0) before measuring. QUIET_WAIT=0 skips this.
wait_for_quiet() {
    local max=${QUIET_WAIT:-600} limit=${QUIET_LOAD:-1.0} waited=0 load
    while :; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        awk -v l="$load" -v m="$limit" 'BEGIN { exit !(l < m) }' && return 0
        if [ "$waited" -ge "$max" ]; then
            log "WARNING: load average is still $load after ${waited} s; measuring anyway (results will be noisy)"
            return 0
        fi
        [ "$waited" -eq 0 ] && log "load average $load ≥ $limit: waiting up to ${max} s for a quiet machine"
        sleep 10
        waited=$((waited + 10))
    done
}
