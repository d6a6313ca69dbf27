#!/usr/bin/env bash
# Soak: a real `lindung serve` under mixed load (hash lookups, image lookups, report intake,
# page views) for 30 minutes against a bank of 1M random hashes, on SQLite. Prints a line a
# minute (requests per route, errors, the server's RSS) and at the end p50/p99 per route and
# the RSS slope in MiB/hour after warm-up. Exits 1 if there was any error.
#
#   benches/soak.sh                               # 30 minutes, 1M hashes
#   benches/soak.sh --minutes 5 --size 100000     # any option of crates/lindung/benches/soak.rs
#
# Later arguments override the defaults: --minutes, --size, --clients, --rate,
# --reports-per-second, --report-every SECONDS, --warmup SECONDS, --database-url URL.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lindung/target}"

# The bench profile is the release profile; the bench runs the `lindung` built beside it.
cargo bench --locked -p lindung --bench soak --no-run >&2
bin=$(bench_executable lindung soak)
if [ -z "$bin" ]; then
    echo "soak.sh: could not find the soak bench executable" >&2
    exit 1
fi
defaults=(--minutes 30 --size 1000000 --report-every 60)
# Options are read left to right, so the caller's come last and win.
exec "$bin" "${defaults[@]}" "$@"
