#!/usr/bin/env bash
# The paper's ablations (Tables 4-7) in miniature on Shapes-VL v2: every
# variant of projects/ablation_shapes_vl/configs x seeds 0 1 2, each
# pre-trained with the v2 demo recipe, then zero-shot ITC retrieval,
# two-stage retrieval and VQA after a short fine-tune; the table, the
# paired comparison with SemMIM and the plot at the end
# (docs/ablation_shapes_vl.md).
#
#   bash tools/ablation/shapes_vl.sh                # the whole study
#   bash tools/ablation/shapes_vl.sh --dry-run      # the plan
#   bash tools/ablation/shapes_vl.sh --variants semmim mim-none --seeds 0
#
# Resumable: a rerun reuses every finished stage (work_dirs/
# ablation_shapes_vl/runs/<variant>/seed<s>/<stage>/result.json) and
# continues a killed pre-training from its last epoch checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/setup_env.sh runtime

if [ ! -f data/shapes_vl_v2/meta.json ]; then
    echo "==> generating Shapes-VL v2 (data/shapes_vl_v2)"
    "$PYTHON" tools/dataset_converters/generate_shapes_vl.py --world v2
fi
exec "$PYTHON" tools/ablation/shapes_vl.py "$@"
