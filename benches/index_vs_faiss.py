"""FAISS side of benches/index_vs_faiss.sh: loads the codes and queries Lindung's bench wrote,
runs IndexBinaryMultiHash(256, 16, 16) with nflip 1 (HMA's configuration) and IndexBinaryFlat,
checks both against Lindung's result sets, and prints the same figures as `key value` lines."""
import os
import sys
import time

import faiss
import numpy as np


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def sorted_sets(lims, ids):
    return [np.sort(ids[lims[i]:lims[i + 1]]) for i in range(len(lims) - 1)]


def main():
    directory, dataset, threads, flat_queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    faiss.omp_set_num_threads(threads)
    db = np.fromfile(os.path.join(directory, dataset + ".db"), dtype=np.uint8).reshape(-1, 32)
    queries = np.fromfile(os.path.join(directory, dataset + ".queries"), dtype=np.uint8).reshape(-1, 32)
    raw = np.fromfile(os.path.join(directory, dataset + ".ours"), dtype=np.uint8)
    counts = raw[: 4 * len(queries)].view(np.uint32)
    ours_ids = raw[4 * len(queries):].view(np.int64)
    ours_lims = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    ours = sorted_sets(ours_lims, ours_ids)

    # HMA asks for distance <= 31; FAISS range search returns distance < radius.
    radius = 32
    for name, make in (
        ("multihash", lambda: _multihash()),
        ("flat", lambda: faiss.IndexBinaryFlat(256)),
    ):
        rss0 = rss_bytes()
        index = make()
        t = time.perf_counter()
        index.add(db)
        build_s = time.perf_counter() - t
        # Flat stores exactly the codes; RSS deltas are unreliable once numpy has freed memory.
        rss_index = index.ntotal * 32 if name == "flat" else rss_bytes() - rss0
        q = queries if name == "multihash" else queries[:flat_queries]
        t = time.perf_counter()
        lims, _, ids = index.range_search(q, radius)
        qps = len(q) / (time.perf_counter() - t)
        theirs = sorted_sets(lims, ids)
        mismatches = sum(1 for a, b in zip(theirs, ours) if not np.array_equal(a, b))
        path = os.path.join(directory, dataset + "." + name + ".faiss")
        faiss.write_index_binary(index, path)
        del index
        t = time.perf_counter()
        loaded = faiss.read_index_binary(path)
        load_s = time.perf_counter() - t
        del loaded
        os.remove(path)
        print(f"{name}_queries {len(q)}")
        print(f"{name}_mismatches {mismatches}")
        print(f"{name}_build_s {build_s:.3f}")
        print(f"{name}_qps {qps:.1f}")
        print(f"{name}_load_s {load_s:.3f}")
        print(f"{name}_rss_index_mb {rss_index / 1e6:.0f}")
        sys.stdout.flush()


def _multihash():
    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = 1
    return index


main()
