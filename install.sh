#!/usr/bin/env sh
# Install hive from this checkout: ./install.sh [EXTRAS]   e.g. ./install.sh dev
#
# llama-cpp-python has no binary wheel here, so pip builds llama.cpp from source (5-8 minutes
# on 2 cores; pip caches the wheel). On x86-64 Linux it is not built with -march=native but
# for a named instruction set:
#  * CPUs with AMX (Sapphire Rapids and later Xeons) get AVX-512 + AMX kernels: on the
#    embedded model that is ~2x the tokens/s of one sequence and ~2.5x for 4 batched ones.
#    GCC 12 drops the stores that fill AMX's tile configuration (the config reaches the CPU
#    empty and the first tile instruction dies with "illegal instruction"), so that build
#    compiles C++ with dead-store elimination off (CXXFLAGS="-fno-tree-dse -fno-dse").
#  * everything else (or HIVE_NO_AMX=1) gets a portable AVX2/FMA/F16C baseline.
# Every build has ggml's RPC backend (-DGGML_RPC=ON): `hive --lend` serves it and `--split`
# spreads a model over lenders (docs/federation.md).
# Set CMAKE_ARGS yourself for CUDA, Metal, etc.: then it is used as given, plus GGML_RPC.
# After installing, `hive doctor` runs the embedded model once in a worker process; if that
# build cannot run on this CPU, it is rebuilt once (with the portable baseline unless CMAKE_ARGS
# was given), bypassing pip's wheel cache.
set -eu
cd "$(dirname "$0")"
portable="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_RPC=ON"
amx="$portable -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
amx="$amx -DGGML_AVX_VNNI=ON -DGGML_AMX_TILE=ON -DGGML_AMX_INT8=ON -DGGML_AMX_BF16=ON"

cpu_has() {  # cpu_has FLAG...: every flag is in /proc/cpuinfo
    flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
    for flag in "$@"; do
        case "$flags" in *" $flag "*) ;; *) return 1 ;; esac
    done
}

rebuild_llama() {  # rebuild_llama CMAKE_ARGS: the same llama-cpp-python version, from source
    echo "install.sh: building llama.cpp with CMAKE_ARGS=$1" >&2
    python3 -m pip cache remove 'llama_cpp_python*' >/dev/null 2>&1 || true
    version=$(python3 -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
    CMAKE_ARGS="$1" python3 -m pip install -q --force-reinstall --no-deps --no-cache-dir \
        "llama-cpp-python==$version"
}

user_args="${CMAKE_ARGS:-}"
case "$user_args" in
"" | *GGML_RPC*) ;;
*) user_args="$user_args -DGGML_RPC=ON"; export CMAKE_ARGS="$user_args" ;;
esac
want_amx=no
if [ -z "$user_args" ] && [ "$(uname -m)" = "x86_64" ] && [ "$(uname -s)" = "Linux" ]; then
    if [ -z "${HIVE_NO_AMX:-}" ] && cpu_has avx512f avx512bw avx512vl avx512vbmi avx512_vnni \
        avx512_bf16 avx_vnni amx_tile amx_int8 amx_bf16; then
        want_amx=yes
        export CMAKE_ARGS="$amx"
        export CXXFLAGS="${CXXFLAGS:-} -fno-tree-dse -fno-dse"
    else
        export CMAKE_ARGS="$portable"
    fi
fi

extras="${1:-}"
case ",$extras," in
*,dev,*)
    # The test suite runs execute_bash in a bubblewrap sandbox and builds network namespaces,
    # and drives oterm (an Ollama client) in tmux.
    if ! command -v bwrap >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1 \
        || ! command -v tmux >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq bubblewrap iproute2 tmux >/dev/null
        else
            echo "install.sh: install bubblewrap, iproute2 and tmux for the full test suite" >&2
        fi
    fi
    # The browser test of `hive --web` drives the distribution's Chromium through playwright
    # (pointed at it, so playwright downloads no browser of its own).
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1
    then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq && apt-get install -y -qq chromium >/dev/null
        else
            echo "install.sh: install chromium for the browser test of hive --web" >&2
        fi
    fi
    ;;
esac
python3 -m pip install -q -e ".${extras:+[$extras]}"

# A hive that does not start (a missing dependency, say) is not a bad llama.cpp build: stop
# here with its error instead of rebuilding llama.cpp for nothing.
if ! python3 -m hive_tui --help >/dev/null; then
    echo "install.sh: hive does not start (error above); llama.cpp was not the cause" >&2
    exit 1
fi

# pip's wheel cache does not key on CMAKE_ARGS: a wheel built earlier for another
# instruction set would be reused silently. Rebuild when AMX is wanted and missing.
if [ "$want_amx" = yes ] && ! python3 -m hive_tui doctor --build-has AMX_INT8; then
    rebuild_llama "$CMAKE_ARGS"
fi
# The same for a cached wheel built without ggml's RPC backend (before install.sh asked for it).
if ! python3 -m hive_tui doctor --build-has RPC; then
    echo "install.sh: this llama.cpp has no RPC backend (a cached wheel?); rebuilding it" >&2
    rebuild_llama "${CMAKE_ARGS:-$portable}"
fi
if ! python3 -m hive_tui doctor --quiet; then
    echo "install.sh: the llama.cpp build does not run here; rebuilding it" >&2
    rebuild_llama "${user_args:-$portable}"
    python3 -m hive_tui doctor
    if [ "$want_amx" = yes ]; then
        echo "install.sh: AMX does not work here; HIVE_NO_AMX=1 ./install.sh skips trying it" >&2
    fi
fi
