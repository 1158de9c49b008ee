#!/usr/bin/env bash
# The semmim demo on a laptop CPU: generate Shapes-VL, pre-train SemMIM on it
# (about 7 minutes on 2 cores), evaluate zero-shot retrieval against chance,
# and draw what the model learned.
#
#   bash tools/demo.sh
#
# Re-running reuses the data and a finished pre-training run; delete
# work_dirs/demo to train again.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup_env.sh runtime

CONFIG=configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl.py
ZEROSHOT=configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl.py
WORK=work_dirs/demo
CKPT="$WORK/pretrain/last.pth"

step() { echo; echo "==> $*"; }
run() { echo "+ $*"; "$@"; }

step "[1/4] Shapes-VL: the embedded dataset (data/shapes_vl)"
run "$PYTHON" tools/dataset_converters/generate_shapes_vl.py \
    --out-dir data/shapes_vl --preview

step "[2/4] pre-training SemMIM on Shapes-VL ($CONFIG)"
if [ -f "$CKPT" ]; then
    echo "reusing the finished run in $WORK/pretrain (delete it to retrain)"
else
    start=$(date +%s)
    run "$PYTHON" tools/train.py "$CONFIG" --work-dir "$WORK/pretrain"
    last=$(ls -t "$WORK"/pretrain/epoch_*.pth | head -n 1)
    cp "$last" "$CKPT"
    echo "pre-training took $(( $(date +%s) - start )) s; checkpoint $CKPT"
fi

step "[3/4] zero-shot image-text retrieval on the test split (ITC only)"
run "$PYTHON" tools/test.py "$ZEROSHOT" "$CKPT" --work-dir "$WORK/zeroshot"

step "[4/4] pictures"
run "$PYTHON" tools/analysis_tools/plot_curves.py "$WORK/pretrain" \
    --out "$WORK/training_curves.png"

echo
echo "Done. Look at:"
echo "  data/shapes_vl/preview.png      sample images and captions"
echo "  $WORK/training_curves.png     the losses falling"
