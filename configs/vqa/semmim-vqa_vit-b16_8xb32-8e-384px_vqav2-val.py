# The VQA v2 recipe scored locally: fine-tune on train + Visual Genome QA,
# evaluate on val with the official annotations (accuracy per answer type;
# the answers are also written in the submission format).
#   bash tools/dist_test.sh \
#       configs/vqa/semmim-vqa_vit-b16_8xb32-8e-384px_vqav2-val.py CKPT 8
_base_ = './semmim-vqa_vit-b16_8xb32-8e-384px_vqav2.py'

train_dataloader = dict(
    dataset=dict(
        ann_file=['annotations/vqa_train.json', 'annotations/vg_qa.json']))
test_dataloader = dict(dataset=dict(ann_file='annotations/vqa_val.json'))
test_evaluator = dict(
    type='VQAMetric',
    gt_file='data/vqa/annotations/v2_mscoco_val2014_annotations.json',
    result_file='work_dirs/vqa_results/vqa_val_results.json',
    prior_file='data/vqa/annotations/vqa_train.json',
    per_question_type=True)
