#!/usr/bin/env bash
# Lindung's hashing against the tools it competes with, measured in one run on the same files:
#   (a) PDQ of an already-decoded 1600x1004 RGB buffer: ours vs pdqhash.compute (the C++ core)
#   (b) file -> hashes, one thread, bridge JPEGs: ours (PDQ+MD5+SHA-256) vs PIL + pdqhash (HMA)
#   (c) a folder of 200 images: `lindung hash` vs `threatexchange hash photo`
# The peers are installed from PyPI into a virtualenv this script creates (benches/.venv).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lindung/target}"
venv="$root/benches/.venv"
if [ ! -x "$venv/bin/threatexchange" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check pdqhash Pillow numpy threatexchange
fi
py="$venv/bin/python"

cargo build --release --locked --bin lindung >&2
cargo bench --locked -p lindung-media --bench file_to_hash --no-run >&2 2>/dev/null || true
bench_bin=$(cargo bench --locked -p lindung-media --bench file_to_hash --no-run --message-format=json 2>/dev/null \
    | "$py" -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="file_to_hash" and m.get("executable"): print(m["executable"])' | tail -1)

td=testdata/pdq
bridge_png=$td/decoded/bridge-1-original.png
jpegs=("$td"/data/reg-test-input/dih/*.jpg)

echo "Running Lindung..." >&2
ours=$("$bench_bin" "$bridge_png" "${jpegs[@]}")
ours_a=$(awk '/^pdq_buffer_ms/ {print $2}' <<<"$ours")
ours_b=$(awk '/^file_ms/ {print $2}' <<<"$ours")
kernel=$(awk '/^kernel/ {print $2}' <<<"$ours")

echo "Running pdqhash and PIL..." >&2
peers=$("$py" - "$bridge_png" "${jpegs[@]}" <<'PY'
import sys, time
import numpy as np, pdqhash
from PIL import Image
png, jpegs = sys.argv[1], sys.argv[2:]
arr = np.asarray(Image.open(png).convert("RGB"))
def best(rounds, iters, f):
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(iters): f()
        out.append((time.perf_counter() - t) / iters)
    return min(out)
print("pdq_buffer_ms %.4f" % (best(3, 10, lambda: pdqhash.compute(arr)) * 1e3))
def hma_path():
    # HMA's PdqSignal hasher: PIL decode, RGB, numpy array, pdqhash.compute.
    for p in jpegs:
        with Image.open(p) as im:
            pdqhash.compute(np.asarray(im.convert("RGB")))
print("file_ms %.4f" % (best(3, 2, hma_path) * 1e3 / len(jpegs)))
PY
)
peer_a=$(awk '/^pdq_buffer_ms/ {print $2}' <<<"$peers")
peer_b=$(awk '/^file_ms/ {print $2}' <<<"$peers")

echo "Running the 200-image folder..." >&2
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
mapfile -t pool < <(find "$td/data" -name '*.jpg' -o -name '*.png' | sort)
for i in $(seq 0 199); do
    src=${pool[$((i % ${#pool[@]}))]}
    cp "$src" "$folder/$(printf '%03d' "$i")-$(basename "$src")"
done
time_cmd() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
command -v bc >/dev/null || scripts/install-deps bc
ours_c=$(time_cmd "$CARGO_TARGET_DIR/release/lindung" hash --json "$folder")
ours_c1=$(time_cmd "$CARGO_TARGET_DIR/release/lindung" hash --json -j 1 "$folder")
peer_c=$(time_cmd "$venv/bin/threatexchange" hash photo "$folder"/*)

ratio() { echo "scale=1; $1 / $2" | bc -l; }
printf '\nPDQ hashing, Lindung vs peers (same machine, same files, one run; kernel %s)\n' "$kernel"
printf '%-58s %12s %12s %8s\n' "benchmark" "Lindung" "peer" "speed-up"
printf '%-58s %10.3f ms %10.3f ms %7sx\n' "(a) PDQ of decoded 1600x1004 RGB vs pdqhash.compute" "$ours_a" "$peer_a" "$(ratio "$peer_a" "$ours_a")"
printf '%-58s %10.3f ms %10.3f ms %7sx\n' "(b) bridge JPEG file -> hashes, 1 thread, vs PIL+pdqhash" "$ours_b" "$peer_b" "$(ratio "$peer_b" "$ours_b")"
printf '%-58s %11.2f s %11.2f s %7sx\n' "(c) 200 images, lindung hash (all cores) vs threatexchange" "$ours_c" "$peer_c" "$(ratio "$peer_c" "$ours_c")"
printf '%-58s %11.2f s %11.2f s %7sx\n' "    the same with lindung hash -j 1" "$ours_c1" "$peer_c" "$(ratio "$peer_c" "$ours_c1")"
