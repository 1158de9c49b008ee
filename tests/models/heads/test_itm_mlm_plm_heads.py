import torch
import torch.nn.functional as F

from semmim.models.heads import ITMHead, MLMHead
from semmim.models.utils.tokenizer import LocalBertTokenizer
from tests.conftest import TINY_BERT


def test_negatives_never_positive():
    head = ITMHead(embed_dims=4)
    sim = torch.randn(6, 6) * 10
    positives = torch.eye(6, dtype=torch.bool)
    positives[0, 1] = True  # same image id
    for _ in range(50):
        nt, ni = head.sample_negatives(sim, sim.t(), positives)
        assert not positives[torch.arange(6), nt].any()
        assert not positives[torch.arange(6), ni].any()
    out = head.loss(torch.tensor([[0., 5.], [5., 0.]]), torch.tensor([1, 0]))
    assert out['acc_itm'] == 100


def test_mlm_head_loss_and_distillation():
    tok = LocalBertTokenizer()
    head = MLMHead(bert_cfg=TINY_BERT, tokenizer=tok, alpha=0.4)
    fused = torch.randn(2, 5, 32)
    labels = torch.full((2, 5), -100)
    labels[0, 2], labels[1, 4] = 7, 9
    out = head.loss(fused, labels)
    logits = head(fused[labels != -100])
    ref = F.cross_entropy(logits, torch.tensor([7, 9]))
    torch.testing.assert_close(out['loss_mlm'], ref)
    m_logits = torch.randn(2, logits.shape[-1])
    out = head.loss(fused, labels, m_logits)
    soft = torch.softmax(m_logits, -1)
    distill = -(soft * torch.log_softmax(logits, -1)).sum(-1)
    ce = F.cross_entropy(logits, torch.tensor([7, 9]), reduction='none')
    torch.testing.assert_close(out['loss_mlm'],
                               (0.6 * ce + 0.4 * distill).mean())
    # no token chosen: zero loss that still reaches the graph
    none = head.loss(fused.requires_grad_(), torch.full((2, 5), -100))
    none['loss_mlm'].backward()
    assert none['loss_mlm'] == 0


def test_mlm_head_ties_to_embeddings():
    emb = torch.nn.Embedding(30522, 32)
    head = MLMHead(bert_cfg=TINY_BERT)
    head.tie_weights(emb)
    assert head.cls.predictions.decoder.weight is emb.weight
