#!/usr/bin/env bash
# Fine-tune the demo's pre-trained model (tools/demo.sh) on Shapes-VL for
# retrieval, captioning and VQA, and evaluate each on the test split with
# tools/test.py, which prints every metric next to its trivial baseline
# (random ranking; the most frequent training caption for every image; the
# most frequent training answer). Each task is timed (train + test).
#
#   bash tools/demo/downstream_shapes_vl.sh [TASK ...]    # default: all three
#
# Environment: CKPT (default work_dirs/demo/pretrain/last.pth), WORK
# (default work_dirs/demo/downstream), PYTHON (default python), WORLD (v2,
# the default: Shapes-VL v2 with its fitted 72-token vocabulary, for a
# checkpoint of configs/semmim/semmim_vit-t-p8_1xb64-cpu_shapes-vl-v2.py,
# what tools/demo.sh trains; or v1, for a checkpoint of the v1 demo config,
# docs/shapes_vl_v1.md). A task whose config is missing is skipped, said
# so, and the script exits 1 after the others.
set -euo pipefail
cd "$(dirname "$0")/../.."

CKPT=${CKPT:-work_dirs/demo/pretrain/last.pth}
WORK=${WORK:-work_dirs/demo/downstream}
PYTHON=${PYTHON:-python}
WORLD=${WORLD:-v2}
TASKS=("$@")
[ ${#TASKS[@]} -eq 0 ] && TASKS=(retrieval caption vqa)

case "$WORLD" in
    v1) declare -A CONFIG=(
            [retrieval]=configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl.py
            [caption]=configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl.py
            [vqa]=configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl.py
        ) ;;
    v2) declare -A CONFIG=(
            [retrieval]=configs/retrieval/semmim-retrieval_small_1xb64_shapes-vl-v2.py
            [caption]=configs/caption/semmim-caption_vit-t-p8_1xb64-ce_shapes-vl-v2.py
            [vqa]=configs/vqa/semmim-vqa_vit-t-p8_1xb64_shapes-vl-v2.py
        ) ;;
    *) echo "WORLD=$WORLD: Shapes-VL v1 or v2" >&2; exit 1 ;;
esac

MISSING=()
for task in "${TASKS[@]}"; do
    config=${CONFIG[$task]:-}
    if [ -z "$config" ]; then
        echo "unknown task $task (retrieval, caption or vqa)" >&2
        exit 1
    fi
    if [ ! -f "$config" ]; then
        echo "$task on Shapes-VL $WORLD: no config $config; skipping" \
            "$task" >&2
        MISSING+=("$task")
    fi
done

if [ ! -f "$CKPT" ]; then
    echo "no pre-training checkpoint at $CKPT: run bash tools/demo.sh first" >&2
    exit 1
fi
mkdir -p "$WORK"

for task in "${TASKS[@]}"; do
    config=${CONFIG[$task]}
    [ -f "$config" ] || continue
    dir="$WORK/$task"
    echo
    echo "==> $task: fine-tune $config from $CKPT"
    start=$(date +%s)
    "$PYTHON" tools/train.py "$config" --work-dir "$dir" \
        --cfg-options load_from="$CKPT" > "$dir.train.log" 2>&1 || {
        echo "training failed, see $dir.train.log" >&2; exit 1; }
    trained=$(date +%s)
    ckpt=$(cat "$dir/last_checkpoint")
    echo "    trained in $(( trained - start )) s ($dir.train.log)"
    "$PYTHON" tools/test.py "$config" "$ckpt" --work-dir "$dir" \
        > "$dir.test.log" 2>&1 || {
        echo "testing failed, see $dir.test.log" >&2; exit 1; }
    end=$(date +%s)
    echo "    tested in $(( end - trained )) s; $task total $(( end - start )) s"
    # the comparison table tools/test.py prints last
    awk '/^(Retrieval on|Captioning on|VQA accuracy)/ {buf = ""; on = 1}
         on {buf = buf $0 "\n"} END {printf "%s", buf}' "$dir.test.log"
done

if [ ${#MISSING[@]} -gt 0 ]; then
    echo >&2
    echo "skipped on Shapes-VL $WORLD (no config): ${MISSING[*]}" >&2
    exit 1
fi
