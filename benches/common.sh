# Sourced by the benches that compare with FAISS: the shared virtualenv and the path of a
# `cargo bench` binary. Expects to run from the repository root.

# Prints the Python of benches/.venv-faiss, creating it (faiss-cpu and numpy from PyPI) if needed.
faiss_python() {
    local venv="$PWD/benches/.venv-faiss"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import faiss, numpy' 2>/dev/null; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --disable-pip-version-check faiss-cpu numpy >&2
    fi
    echo "$venv/bin/python"
}

# Builds the bench target $2 of package $1 and prints its executable.
bench_executable() {
    cargo bench --locked -p "$1" --bench "$2" --no-run --message-format=json 2>/dev/null \
        | python3 -c 'import sys, json
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"): print(m["executable"])' "$2" | tail -1
}
