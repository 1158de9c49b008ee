"""Two gloo processes run SemMIM steps: ITM negatives and the ITC queue hold
both ranks' samples, centres are all-reduced, DDP keeps weights equal."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    import semmim  # noqa: F401
    from mmengine.model import MMDistributedDataParallel

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    from tests.conftest import CAPTIONS, tiny_batch, tiny_semmim_cfg
    register_all_modules()
    torch.manual_seed(0)  # same initial weights on both ranks
    model = MODELS.build(tiny_semmim_cfg())
    model.init_weights()
    for ema in model.momentum_modules().values():
        ema.total_steps = 10
    ddp = MMDistributedDataParallel(module=model, device_ids=None,
                                    broadcast_buffers=False)
    opt = torch.optim.AdamW(ddp.parameters(), lr=1e-3)

    negatives = []
    sample = model.itm_head.sample_negatives

    def spy(*args, **kwargs):
        out = sample(*args, **kwargs)
        negatives.append(torch.cat(out))
        return out

    model.itm_head.sample_negatives = spy
    torch.manual_seed(100 + rank)  # different data and masks per rank
    for step in range(3):
        captions = [CAPTIONS[(rank * 2 + i) % len(CAPTIONS)]
                    for i in range(4)]
        batch = tiny_batch(model, captions=captions, seed=10 * rank + step)
        losses = ddp(**batch, mode='loss')
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.update_momentum()
    torch.save(
        dict(state=model.state_dict(), negatives=torch.cat(negatives)),
        os.path.join(out_dir, f'{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.timeout(300)
def test_two_rank_semmim_steps(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2,
             join=True)
    r0 = torch.load(tmp_path / '0.pth', weights_only=False)
    r1 = torch.load(tmp_path / '1.pth', weights_only=False)
    # both ranks end with identical weights, momentum copies, queues and
    # centres (their batches differed)
    for key, value in r0['state'].items():
        torch.testing.assert_close(r1['state'][key], value, msg=key)
    # the queue advanced by the global batch (2 ranks x 4) per step
    assert int(r0['state']['itc_head.queue_ptr']) == 3 * 8 % 32
    # hard negatives were drawn from the other rank's samples too
    for r in (r0, r1):
        neg = r['negatives']
        assert neg.max() >= 4 and neg.min() < 4, neg


def _kv_once_worker(rank, world, port, out_dir):
    """One DDP step with keys and values once per image (the product) and
    with one indexed image copy per text row (the reference); each rank
    saves its losses and gradients."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    import semmim  # noqa: F401
    from mmengine.model import MMDistributedDataParallel

    from semmim.registry import MODELS
    from semmim.utils import register_all_modules
    from tests.conftest import CAPTIONS, tiny_batch, tiny_semmim_cfg
    register_all_modules()
    results = {}
    for on in (False, True):
        torch.manual_seed(0)
        model = MODELS.build(tiny_semmim_cfg())
        model.init_weights()
        if not on:  # the reference: one indexed copy per text row
            def fuse_rows(images, text, text_mask, rows, model=model):
                return model.fusion_encoder(text, text_mask,
                                            images.index_select(0, rows))
            model.fuse_rows = fuse_rows
        ddp = MMDistributedDataParallel(module=model, device_ids=None,
                                        broadcast_buffers=False)
        torch.manual_seed(100 + rank)
        captions = [CAPTIONS[(rank * 2 + i) % len(CAPTIONS)]
                    for i in range(4)]
        losses = ddp(**tiny_batch(model, captions=captions, seed=rank),
                     mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        results[on] = dict(
            losses={k: v.detach() for k, v in losses.items()},
            grads={n: p.grad.clone() for n, p in model.named_parameters()
                   if p.grad is not None})
    torch.save(results, os.path.join(out_dir, f'kv{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.timeout(300)
def test_two_rank_image_kv_once_matches_indexed_images(tmp_path):
    """With ITM candidates gathered from both ranks, computing each image's
    keys and values once gives the losses and (all-reduced) gradients of
    fusing one indexed copy of the image per text row."""
    mp.spawn(_kv_once_worker, args=(2, _free_port(), str(tmp_path)),
             nprocs=2, join=True)
    for rank in (0, 1):
        r = torch.load(tmp_path / f'kv{rank}.pth', weights_only=False)
        off, on = r[False], r[True]
        for key, value in off['losses'].items():
            torch.testing.assert_close(on['losses'][key], value,
                                       rtol=1e-6, atol=1e-6, msg=key)
        assert off['grads'].keys() == on['grads'].keys()
        for name, g in off['grads'].items():
            if name.endswith('key.bias'):
                continue  # zero in exact arithmetic: round-off only
            assert (on['grads'][name] - g).abs().max() <= \
                1e-5 * g.abs().max(), name
