"""One rank of a 2-process gloo run of the toy model (test_dist_kill.py):
at iteration ``KILL_AT`` rank 1 SIGKILLs itself (``HOW=kill``) or stops
(``HOW=stop``: SIGSTOP, a hung rank whose connections stay open)."""
import os
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main():
    from mmengine.config import Config
    from mmengine.hooks import Hook

    import semmim.engine  # noqa: F401
    from semmim.engine.runner_setup import init_cpu_process_group
    from tests.faults.toy import toy_runner
    rank, kill_at = int(os.environ['RANK']), int(os.environ['KILL_AT'])
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(
        backend='gloo', timeout=int(os.environ['DIST_TIMEOUT'])))))
    init_cpu_process_group(cfg)

    class Die(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if rank == 1 and runner.iter + 1 == kill_at:
                if os.environ.get('HOW', 'kill') == 'kill':
                    print('rank 1: killing myself', flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)
                print('rank 1: stopping myself', flush=True)
                os.kill(os.getpid(), signal.SIGSTOP)

    runner = toy_runner(os.environ['WORK_DIR'], max_epochs=1000,
                        custom_hooks=[Die()], launcher='pytorch',
                        model_wrapper_cfg=cfg.model_wrapper_cfg,
                        env_cfg=cfg.env_cfg)
    runner.train()


if __name__ == '__main__':
    from semmim.engine.config_checks import run_tool
    sys.exit(run_tool(main))
