#!/usr/bin/env bash
# Lindung's video hashing (vPDQ through the ffmpeg program) against the reference's Python
# bindings (`vpdq` from PyPI, built against Debian's FFmpeg), on the same files in one run.
# Prints hashed frames/s and seconds of video hashed per second, on one core (both pinned with
# taskset; our ffmpeg child shares that core) and then ours on every core.
#
#   benches/video_vs_vpdq.sh [ROUNDS]      (default 5 rounds over the sample videos)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=${1:-5}
# The vpdq wheel is built from source against Debian's FFmpeg development packages.
scripts/install-deps ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev libavfilter-dev
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lindung/target}"
venv="$root/benches/.venv-vpdq"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vpdq' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check vpdq
fi
cargo build --release --locked --bin lindung >&2
lindung="$CARGO_TARGET_DIR/release/lindung"
videos=(testdata/vpdq/videos/*.mp4)
files=()
for _ in $(seq "$rounds"); do files+=("${videos[@]}"); done
duration=$(for v in "${videos[@]}"; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$v"; done | awk -v r="$rounds" '{s += $1} END {printf "%.3f", s * r}')

now() { date +%s.%N; }
run_ours() { # seconds-per-hash, taskset prefix...
    local sph=$1; shift
    local t0 t1 frames
    t0=$(now)
    frames=$("$@" "$lindung" hash --json -j 1 --seconds-per-hash "$sph" "${files[@]}" | "$venv/bin/python" -c 'import sys, json; print(sum(json.loads(l)["frames"] for l in sys.stdin))')
    t1=$(now)
    echo "$frames $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
}
run_theirs() { # seconds-per-hash
    taskset -c 0 "$venv/bin/python" - "$1" "${files[@]}" <<'PY'
import sys, time, vpdq
sph = float(sys.argv[1])
t = time.perf_counter()
frames = sum(len(vpdq.computeHash(p, seconds_per_hash=sph, thread_count=1)) for p in sys.argv[2:])
print(frames, f"{time.perf_counter() - t:.3f}")
PY
}

echo "$((${#files[@]})) files, ${duration} s of video in all"
printf '%-34s %12s %12s %14s %8s\n' "" "frames" "seconds" "video s / s" "ratio"
for sph in 0 1; do
    read -r f_theirs s_theirs < <(run_theirs "$sph")
    read -r f_ours s_ours < <(run_ours "$sph" taskset -c 0)
    read -r f_ours2 s_ours2 < <(run_ours "$sph")
    label="every frame"; [ "$sph" = 1 ] && label="1 hash per second"
    row() { printf '%-34s %12s %12s %14s %8s\n' "$1" "$2" "$3" "$(awk -v d="$duration" -v s="$3" 'BEGIN {printf "%.1f", d / s}')" "$4"; }
    row "vpdq (Python bindings), 1 core, $label" "$f_theirs" "$s_theirs" ""
    row "lindung, 1 core, $label" "$f_ours" "$s_ours" "$(awk -v a="$s_theirs" -v b="$s_ours" 'BEGIN {printf "%.2fx", a / b}')"
    row "lindung, all cores, $label" "$f_ours2" "$s_ours2" "$(awk -v a="$s_theirs" -v b="$s_ours2" 'BEGIN {printf "%.2fx", a / b}')"
done
