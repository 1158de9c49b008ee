#!/usr/bin/env bash
# The GPU check (docs/benchmarks.md, "The GPU check"): full-size
# pre-training steps in bf16 at batch 32/64/128 (s/iter, samples/s, peak
# memory, MFU against a matmul peak measured in the same run), SemMIM
# against its w/o-MIM ablation, one fine-tuning step per task with
# generation latency, compiled blocks if time allows, and the Shapes-VL
# demo's pre-training on the GPU. Designed to finish within 8 minutes on one
# GPU (tools/analysis_tools/gpu_check.py --budget, default 420 s, skips what
# would not fit).
#
# On a bare, offline GPU machine with its own Python 3.12 + CUDA torch,
# first fill .whl/ on a machine with PyPI access:
#     bash tools/analysis_tools/gpu_wheels.sh
# then, from the repository root on the GPU machine:
#     bash tools/analysis_tools/gpu_check.sh [gpu_check.py options]
# Where mmengine / mmpretrain are already installed, .whl/ is not needed.
# A dry run anywhere (CPU, tiny Shapes-VL configs):
#     bash tools/analysis_tools/gpu_check.sh --dry-run
# REPORT_DIR (default: work_dirs/gpu_check) receives the log and a JSON
# report; the demo section works in work_dirs/gpu_check/demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
REPORT_DIR=${REPORT_DIR:-work_dirs/gpu_check}
mkdir -p "$REPORT_DIR"
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false

if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1 && \
        ! "$PYTHON" -c 'import mmpretrain' >/dev/null 2>&1; then
    SITE=${SITE:-/tmp/gpu_check_site}
    echo "installing $(ls .whl/*.whl | wc -l) wheels from .whl into $SITE"
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
    cp -r .whl/vocab/. "$SITE/"   # the BERT vocabulary (gpu_wheels.sh)
    export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

"$PYTHON" - <<'EOF'
import torch, mmengine, mmpretrain, transformers
print(f'torch {torch.__version__} (CUDA {torch.version.cuda}, '
      f'available: {torch.cuda.is_available()}), mmengine '
      f'{mmengine.__version__}, mmpretrain {mmpretrain.__version__}, '
      f'transformers {transformers.__version__}')
EOF
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

set -o pipefail
"$PYTHON" tools/analysis_tools/gpu_check.py \
    --out "$REPORT_DIR/gpu_check.json" --work-dir work_dirs/gpu_check/demo \
    "$@" 2>&1 | tee "$REPORT_DIR/gpu_check.log"
