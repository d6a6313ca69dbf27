"""FAISS side of benches/video_index_vs_faiss.sh: python-threatexchange's vPDQ index
(threatexchange.extensions.vpdq) keeps every frame hash in a FAISS IndexBinaryFlat, range-searches
each query video's frames, and counts matched query and stored frames per video. This does the
same on the frames and query videos Lindung's bench wrote, checks the vote counts equal
Lindung's, and prints `key value` lines."""
import collections
import os
import sys
import time

import faiss
import numpy as np


def main():
    directory, frames_per_video, threads, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    faiss.omp_set_num_threads(threads)
    db = np.fromfile(os.path.join(directory, "frames.db"), dtype=np.uint8).reshape(-1, 32)
    flat = np.fromfile(os.path.join(directory, "queries.db"), dtype=np.uint8).reshape(-1, 32)
    with open(os.path.join(directory, "queries.lens")) as f:
        lens = [int(line) for line in f]
    starts = np.concatenate([[0], np.cumsum(lens)])
    ours = collections.defaultdict(set)
    with open(os.path.join(directory, "ours.txt")) as f:
        for line in f:
            q, video, query_matched, target_matched = map(int, line.split())
            ours[q].add((video, query_matched, target_matched))

    t = time.perf_counter()
    index = faiss.IndexBinaryFlat(256)
    index.add(db)
    build_s = time.perf_counter() - t

    n = min(limit, len(lens))
    mismatches = 0
    t = time.perf_counter()
    for q in range(n):
        query = flat[starts[q]:starts[q + 1]]
        # pytx matches frames at distance <= 31; FAISS range search is distance < radius.
        lims, _, ids = index.range_search(query, 32)
        query_hits = collections.defaultdict(set)
        target_hits = collections.defaultdict(set)
        for i in range(len(query)):
            for frame in ids[lims[i]:lims[i + 1]]:
                video = int(frame) // frames_per_video
                query_hits[video].add(i)
                target_hits[video].add(int(frame))
        theirs = {(v, len(query_hits[v]), len(target_hits[v])) for v in query_hits}
        mismatches += theirs != ours[q]
    seconds = time.perf_counter() - t
    print(f"faiss_build_s {build_s:.3f}")
    print(f"faiss_query_videos {n}")
    print(f"faiss_query_videos_per_s {n / seconds:.2f}")
    print(f"faiss_mismatches {mismatches}")


main()
