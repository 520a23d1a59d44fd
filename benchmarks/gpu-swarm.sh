#!/bin/bash
# `hive bench swarm` on the lent GPU machine in one device call (issue 7): build
# llama-cpp-python with CUDA, write a 1.2B llama-shaped F16 model, run the bench; what it
# writes lands in $OUT (table, JSON rows, PNG chart, GPU name).
#
# Here, once, from the project root (fills .gpu/, which git ignores):
#   bash ../shared/gpu/prepare.sh
#   python3 -m pip install -q --no-deps --target .gpu/deps msgspec platformdirs psutil
# Then the device call: carry [".gpu"], command `bash benchmarks/gpu-swarm.sh`.
#
# hive itself comes from the checkout that travels with the call (it is first on PYTHONPATH).
# Flash attention: hive leaves it to llama.cpp ("auto") when layers are on a GPU, so it is on
# only if the build has the CUDA kernels; ../shared/gpu/build.sh leaves them out unless
# CMAKE_ARGS says otherwise (FA=1 below builds them: a longer build).
set -uo pipefail
export PYTHONUNBUFFERED=1
if [ "${FA:-0}" = 1 ]; then
    export CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-90} -DLLAVA_BUILD=OFF"
fi
bash .gpu/build.sh || exit 1
export PYTHONPATH="$PWD:/tmp/site:$PWD/.gpu/deps:$(echo /tmp/lcp/*/vendor/llama.cpp/gguf-py)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
[ -f /tmp/m.gguf ] || python3 .gpu/make_model.py /tmp/m.gguf 2048 24 16 4 5632 32000 || exit 1
timeout "${BENCH_TIMEOUT:-300}" python3 -m hive_tui bench swarm --model /tmp/m.gguf \
    --n-gpu-layers 99 --threads "${THREADS:-2}" --max-tokens "${NTOK:-128}" \
    --sizes "${SIZES:-8,4,2,1}" --png "$OUT/bench-swarm-gpu.png" \
    --json "$OUT/bench-swarm-gpu.json" 2>&1 | tee "$OUT/bench.log"
