"""Save and restore the random number generators with checkpoints."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from semmim.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Put the states of Python's, NumPy's and torch's (CPU and CUDA) random
    generators into every checkpoint, and restore them on resume.

    MMEngine restores weights, optimizer, schedulers and the message hub,
    but not the generators, so after a resume the masks, MLM tokens, ITM
    negatives and prefix splits of the next iterations would differ from an
    uninterrupted run. With ``num_workers=0`` a resumed run then repeats the
    uninterrupted one exactly; with data workers the augmentations of a
    resumed epoch still differ (each worker re-seeds itself when it starts).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state(),
        )
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint.setdefault('meta', {})['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('meta', {}).get('rng_state')
        if state is None or not runner._resume:
            return  # load_from (fine-tuning) starts its own random stream
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
