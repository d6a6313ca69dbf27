#!/usr/bin/env bash
# Lindung's matching index against FAISS, the engine HMA uses, on the same codes and queries:
#   FAISS IndexBinaryMultiHash(256, 16, 16) with nflip 1 (HMA's configuration) and
#   IndexBinaryFlat (brute force), at radius 31, for two datasets:
#   (1) uniform random codes; (2) "realistic" codes: families of near-duplicates, biased bit
#   frequencies and exact duplicates. Half of the queries are planted within the radius.
# It checks that all three return identical result sets, then prints queries/s, build time,
# snapshot load time and index memory side by side, with the ratios.
#
#   benches/index_vs_faiss.sh [--size N] [--queries Q] [--threads T] [--flat-queries F]
#
# Defaults: 10M codes, 10k queries, every core. FAISS and numpy are installed from PyPI into a
# virtualenv this script creates (benches/.venv-faiss).
set -euo pipefail
cd "$(dirname "$0")/.."
size=10000000
queries=10000
threads=$(nproc)
flat_queries=""
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --queries) queries=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --flat-queries) flat_queries=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
flat_queries=${flat_queries:-$queries}

scripts/install-deps
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lindung/target}"
. benches/common.sh
py=$(faiss_python)
bench_bin=$(bench_executable lindung-index search)

work=$(mktemp -d "${TMPDIR:-/tmp}/lindung-index-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "faiss $("$py" -c 'import faiss; print(faiss.__version__)'), $size codes, $queries queries, $threads threads, radius 31" >&2

status=0
for dataset in uniform realistic; do
    echo "== $dataset: Lindung" >&2
    ours=$("$bench_bin" --size "$size" --queries "$queries" --threads "$threads" --dataset "$dataset" --out "$work")
    echo "== $dataset: FAISS" >&2
    theirs=$("$py" benches/index_vs_faiss.py "$work" "$dataset" "$threads" "$flat_queries")
    rm -f "$work/$dataset".*
    get() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
    m_mis=$(get multihash_mismatches "$theirs"); f_mis=$(get flat_mismatches "$theirs")
    echo
    echo "dataset $dataset: $(get results "$ours") results, $(get queries_with_match "$ours") of $queries queries matched, $(get substrings "$ours") substrings"
    printf '%-26s %14s %14s %14s %10s %10s\n' "" "lindung" "faiss-multihash" "faiss-flat" "vs multi" "vs flat"
    row() { # label, ours, multihash, flat, higher-is-better(1/0)
        local r1 r2
        if [ "$5" = 1 ]; then
            r1=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1fx", a / b }')
            r2=$(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.1fx", a / b }')
        else
            r1=$(awk -v a="$2" -v b="$3" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }')
            r2=$(awk -v a="$2" -v b="$4" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "-" }')
        fi
        printf '%-26s %14s %14s %14s %10s %10s\n' "$1" "$2" "$3" "$4" "$r1" "$r2"
    }
    row "queries/s" "$(get qps "$ours")" "$(get multihash_qps "$theirs")" "$(get flat_qps "$theirs")" 1
    row "build (s)" "$(get build_s "$ours")" "$(get multihash_build_s "$theirs")" "$(get flat_build_s "$theirs")" 0
    row "snapshot load (s)" "$(get load_s "$ours")" "$(get multihash_load_s "$theirs")" "$(get flat_load_s "$theirs")" 0
    row "index memory (MB)" "$(get rss_index_mb "$ours")" "$(get multihash_rss_index_mb "$theirs")" "$(get flat_rss_index_mb "$theirs")" 0
    echo "lindung queries/s after snapshot load: $(get qps_after_load "$ours"); snapshot save: $(get save_s "$ours") s"
    echo "identical result sets: multihash $((queries - m_mis))/$queries, flat $(( $(get flat_queries "$theirs") - f_mis ))/$(get flat_queries "$theirs")"
    if [ "$m_mis" != 0 ] || [ "$f_mis" != 0 ]; then
        echo "RESULT SETS DIFFER" >&2
        status=1
    fi
    echo
done
exit $status
