#!/usr/bin/env sh
# Install hive from this checkout: ./install.sh [EXTRAS]   e.g. ./install.sh dev
#
# llama-cpp-python has no binary wheel here, so pip builds llama.cpp from source (4-5 minutes
# on 2 cores; pip caches the wheel). By default it is built for a portable x86-64 baseline
# (AVX2/FMA/F16C), not -march=native: on some virtual machines the CPU advertises AMX but
# using it dies with "illegal instruction". Set CMAKE_ARGS yourself for CUDA, Metal, etc.
# After installing, `hive doctor` runs the embedded model once in a worker process; if that
# build cannot run on this CPU, it is rebuilt once, bypassing pip's wheel cache.
set -eu
cd "$(dirname "$0")"
if [ "$(uname -m)" = "x86_64" ] && [ "$(uname -s)" = "Linux" ]; then
    export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
fi
extras="${1:-}"
case ",$extras," in
*,dev,*)
    # The test suite runs execute_bash in a bubblewrap sandbox and builds network namespaces.
    if ! command -v bwrap >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq bubblewrap iproute2 >/dev/null
        else
            echo "install.sh: install bubblewrap and iproute2 for the full test suite" >&2
        fi
    fi
    ;;
esac
python3 -m pip install -q -e ".${extras:+[$extras]}"
if ! python3 -m hive_tui doctor --quiet; then
    echo "install.sh: the llama.cpp build does not run here; rebuilding it (CMAKE_ARGS=${CMAKE_ARGS:-})" >&2
    python3 -m pip cache remove 'llama_cpp_python*' >/dev/null 2>&1 || true
    version=$(python3 -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
    python3 -m pip install -q --force-reinstall --no-deps --no-cache-dir "llama-cpp-python==$version"
    python3 -m hive_tui doctor
fi
