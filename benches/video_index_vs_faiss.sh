#!/usr/bin/env bash
# Lindung's video index against python-threatexchange's vPDQ matching engine (a FAISS
# IndexBinaryFlat over every frame, range search per query video, votes counted per video) on
# the same library and query videos: re-encoded copies of stored videos and unseen videos, at
# distance 31. Checks that both count the same votes per video, then prints query videos/s and
# build time side by side.
#
#   benches/video_index_vs_faiss.sh [--videos N] [--frames F] [--queries Q] [--faiss-queries K] [--threads T]
#
# Defaults: 1M videos of 30 one-per-second frames (30M frames), 2000 query videos, of which
# FAISS answers the first 20 (it scans every frame per query). FAISS and numpy come from PyPI
# into benches/.venv-faiss.
set -euo pipefail
cd "$(dirname "$0")/.."
videos=1000000
frames=30
queries=2000
faiss_queries=20
threads=$(nproc)
while [ $# -gt 0 ]; do
    case "$1" in
        --videos) videos=$2; shift 2 ;;
        --frames) frames=$2; shift 2 ;;
        --queries) queries=$2; shift 2 ;;
        --faiss-queries) faiss_queries=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

scripts/install-deps
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lindung/target}"
. benches/common.sh
py=$(faiss_python)
bench_bin=$(bench_executable lindung-index videos)

work=$(mktemp -d "${TMPDIR:-/tmp}/lindung-video-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "faiss $("$py" -c 'import faiss; print(faiss.__version__)'), $videos videos x $frames frames, $threads threads, distance 31" >&2
ours=$("$bench_bin" --videos "$videos" --frames "$frames" --queries "$queries" --threads "$threads" --out "$work")
theirs=$("$py" benches/video_index_vs_faiss.py "$work" "$frames" "$threads" "$faiss_queries")
get() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
echo
echo "$(get frames "$ours") frames; $(get queries_with_source_found "$ours") of $queries query videos matched at >= 80%; index memory $(get rss_index_mb "$ours") MB"
printf '%-22s %12s %12s %10s\n' "" "lindung" "faiss-flat" "ratio"
ratio() { awk -v a="$1" -v b="$2" -v up="$3" 'BEGIN { if (up) printf "%.1fx", a / b; else printf "%.2fx", b / a }'; }
printf '%-22s %12s %12s %10s\n' "query videos/s" "$(get query_videos_per_s "$ours")" "$(get faiss_query_videos_per_s "$theirs")" \
    "$(ratio "$(get query_videos_per_s "$ours")" "$(get faiss_query_videos_per_s "$theirs")" 1)"
printf '%-22s %12s %12s %10s\n' "build (s)" "$(get build_s "$ours")" "$(get faiss_build_s "$theirs")" \
    "$(ratio "$(get build_s "$ours")" "$(get faiss_build_s "$theirs")" 0)"
mis=$(get faiss_mismatches "$theirs")
echo "identical vote counts: $(( $(get faiss_query_videos "$theirs") - mis ))/$(get faiss_query_videos "$theirs") query videos"
[ "$mis" = 0 ] || { echo "VOTE COUNTS DIFFER" >&2; exit 1; }
