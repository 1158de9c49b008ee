#!/usr/bin/env bash
# The semmim demo on a laptop CPU: generate Shapes-VL v2, pre-train SemMIM on
# it (112 steps, < 25 TFLOP: ~3 minutes on 2 cores), evaluate zero-shot and
# two-stage retrieval, ITM, an attribute probe and the patch codes, each
# against its baseline, and draw what the model learned.
#
#   bash tools/demo.sh
#
# Re-running reuses the data and a finished pre-training run; delete
# work_dirs/demo to train again. SEED=1 bash tools/demo.sh trains with
# another seed (into work_dirs/demo_seed1).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup_env.sh runtime

SEED=${SEED:-0}
DATA=data/shapes_vl_v2
CONFIG=configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py
ZEROSHOT=configs/retrieval/semmim-retrieval_small_zeroshot-itc_shapes-vl-v2.py
WORK=work_dirs/demo
[ "$SEED" = 0 ] || WORK=work_dirs/demo_seed$SEED
CKPT="$WORK/pretrain/last.pth"
SAMPLES=(--data-root "$DATA" --split test)

step() { echo; echo "==> $*"; }
run() { echo "+ $*"; "$@"; }
begin=$(date +%s)

step "[1/5] Shapes-VL v2: the embedded dataset ($DATA)"
run "$PYTHON" tools/dataset_converters/generate_shapes_vl.py --world v2 \
    --out-dir "$DATA" --preview

step "[2/5] pre-training SemMIM on Shapes-VL v2 ($CONFIG, seed $SEED)"
if [ -f "$CKPT" ] && [ ! -f "$WORK/pretrain/$(basename "$CONFIG")" ]; then
    # a run of another config (e.g. the Shapes-VL v1 demo): keep it aside
    old="${WORK}_$(date +%Y%m%d_%H%M%S)"
    echo "$WORK holds a run of another config; moving it to $old"
    mv "$WORK" "$old"
fi
if [ -f "$CKPT" ]; then
    echo "reusing the finished run in $WORK/pretrain (delete it to retrain)"
else
    start=$(date +%s)
    run "$PYTHON" tools/train.py "$CONFIG" --work-dir "$WORK/pretrain" \
        --cfg-options randomness.seed="$SEED"
    last=$(ls -t "$WORK"/pretrain/epoch_*.pth | head -n 1)
    cp "$last" "$CKPT"
    echo "pre-training took $(( $(date +%s) - start )) s; checkpoint $CKPT"
fi

step "[3/5] retrieval on the test split: ITC alone, then ITC top 16 re-ranked by ITM"
run "$PYTHON" tools/test.py "$ZEROSHOT" "$CKPT" --work-dir "$WORK/zeroshot"
run "$PYTHON" tools/test.py "$ZEROSHOT" "$CKPT" --work-dir "$WORK/two_stage" \
    --cfg-options model.topk=16

step "[4/5] what the model knows: ITM, colours and shapes, patch codes"
# ITM on held-out matched and ITC-hard pairs, against its prior
run "$PYTHON" tools/analysis_tools/itm_accuracy.py "$CONFIG" "$CKPT" \
    "${SAMPLES[@]}" --out "$WORK/analysis/itm_accuracy.json"
# each object's colour and shape varied in its image's caption (ITC, ITM)
run "$PYTHON" tools/analysis_tools/attribute_probe.py "$CONFIG" "$CKPT" \
    "${SAMPLES[@]}" --out "$WORK/analysis/attribute_probe.json"
# do the patch codes follow the objects? against raw-pixel k-means
run "$PYTHON" tools/analysis_tools/code_purity.py "$CONFIG" "$CKPT" \
    "${SAMPLES[@]}" --num-images 500 --out "$WORK/analysis/code_purity.json"

step "[5/5] pictures: what the model learned (paper Section 4.5)"
run "$PYTHON" tools/analysis_tools/plot_curves.py "$WORK/pretrain" \
    --out "$WORK/training_curves.png"
# patch codes (arg-max of the momentum encoder + encoding head) of 4 test
# images, coloured, with the majority object of each code over 200 images
run "$PYTHON" tools/analysis_tools/vis_pattern_layout.py "$CONFIG" "$CKPT" \
    "${SAMPLES[@]}" --indices 0 1 2 3 \
    --out "$WORK/analysis/pattern_layout.png"
# patch-text similarity, the text-guided mask drawn from it, a random mask
run "$PYTHON" tools/analysis_tools/vis_masking.py "$CONFIG" "$CKPT" \
    "${SAMPLES[@]}" --indices 0 1 2 3 --out "$WORK/analysis/masking.png"

step "the figures, each next to its baseline"
run "$PYTHON" tools/analysis_tools/demo_summary.py "$WORK" --data-root "$DATA"

echo
echo "Done in $(( $(date +%s) - begin )) s. Look at:"
echo "  $DATA/preview.png            sample images and captions"
echo "  $WORK/training_curves.png         the losses and learning rate"
echo "  $WORK/analysis/pattern_layout.png each patch coloured by its code"
echo "  $WORK/analysis/masking.png        where the caption points, and the masks"
echo "  $WORK/summary.json                the figures above"
