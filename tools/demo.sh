#!/usr/bin/env bash
# The semmim demo on a laptop CPU: generate Shapes-VL, pre-train SemMIM on it
# (about 9 minutes on 2 cores), evaluate zero-shot retrieval against chance,
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

step "[4/4] pictures: what the model learned (paper Section 4.5)"
run "$PYTHON" tools/analysis_tools/plot_curves.py "$WORK/pretrain" \
    --out "$WORK/training_curves.png"
# patch codes (arg-max of the momentum encoder + encoding head) of 4 test
# images, coloured, with the majority object of each code over 200 images
run "$PYTHON" tools/analysis_tools/vis_pattern_layout.py "$CONFIG" "$CKPT" \
    --split test --indices 0 1 2 3 --out "$WORK/analysis/pattern_layout.png"
# patch-text similarity, the text-guided mask drawn from it, a random mask
run "$PYTHON" tools/analysis_tools/vis_masking.py "$CONFIG" "$CKPT" \
    --split test --indices 0 1 2 3 --out "$WORK/analysis/masking.png"
# the number beside the pictures: purity of the codes vs two baselines
run "$PYTHON" tools/analysis_tools/code_purity.py "$CONFIG" "$CKPT" \
    --split test --num-images 500 --out "$WORK/analysis/code_purity.json"
# what object-level codes need first: does the model tell the objects'
# colours and shapes apart at all (ITC and MLM, single-object images)?
run "$PYTHON" tools/analysis_tools/attribute_probe.py "$CONFIG" "$CKPT" \
    --split test --out "$WORK/analysis/attribute_probe.json"

echo
echo "Done. Look at:"
echo "  data/shapes_vl/preview.png               sample images and captions"
echo "  $WORK/training_curves.png              the losses and learning rate"
echo "  $WORK/analysis/pattern_layout.png      each patch coloured by its code"
echo "  $WORK/analysis/masking.png             where the caption points, and the masks"
echo "  $WORK/analysis/code_purity.json        purity of the codes (printed above)"
echo "  $WORK/analysis/attribute_probe.json    colour / shape recognition (printed above)"
