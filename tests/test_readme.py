"""Every command in the README (and the other how-to pages) works as
written: each script, config and repository file it names exists, and each
script accepts its arguments (parsed by the script's own argparse parser,
nothing is run). Launchers are followed to the script they start."""
import argparse
import importlib.util
import os.path as osp
import re
import shlex
import sys
from unittest import mock

import pytest

from tests.conftest import REPO

PAGES = ['README.md', 'configs/semmim/README.md', 'docs/get_started.md',
         'docs/benchmarks.md',
         'projects/shapes_vl_code_purity/README.md',
         'projects/shapes_vl_v2/README.md', 'docs/ablation_shapes_vl.md',
         'projects/ablation_shapes_vl/README.md']
# arguments naming these must exist in the repository (data/, work_dirs/
# and placeholders such as PRETRAIN.pth are made by the user)
REPO_DIRS = ('configs/', 'tools/', 'docs/', 'projects/', 'semmim/',
             'tests/')
# what a launcher passes on to tools/train.py or tools/test.py
LAUNCHERS = {
    'tools/dist_train.sh': lambda a: ('tools/train.py', [a[0], '--launcher',
                                                         'pytorch'] + a[2:]),
    'tools/dist_test.sh': lambda a: ('tools/test.py', a[:2] + [
        '--launcher', 'pytorch'] + a[3:]),
    'tools/ablation/shapes_vl.sh': lambda a: ('tools/ablation/shapes_vl.py',
                                              a),
    'tools/slurm_train.sh': lambda a: ('tools/train.py', [
        a[2], f'--work-dir={a[3] if len(a) > 3 else "work_dirs/" + a[1]}',
        '--launcher=slurm'] + a[4:]),
}


def shell_commands(page: str) -> list:
    """The commands of a page's ``bash`` code blocks, one per entry, with
    continuation lines joined and comments dropped."""
    with open(osp.join(REPO, page)) as f:
        text = f.read()
    commands = []
    for block in re.findall(r'```(?:bash|sh|shell)\n(.*?)```', text, re.S):
        block = block.replace('\\\n', ' ')
        for line in block.splitlines():
            chain = shlex.split(line, comments=True) + ['&&']
            while chain:
                words = chain[:chain.index('&&')]
                chain = chain[chain.index('&&') + 1:]
                while words and re.match(r'^[A-Z_]+=', words[0]):
                    words = words[1:]  # an environment variable for it
                if words:
                    commands.append(words)
    return commands


def all_commands():
    found = []
    for page in PAGES:
        if osp.exists(osp.join(REPO, page)):
            found += [pytest.param(page, words, id=f'{page}: ' +
                                   ' '.join(words)[:70])
                      for words in shell_commands(page)]
    return found


class Parsed(Exception):
    """Raised in place of running the script once its arguments parsed."""


def parse(script: str, argv: list) -> argparse.Namespace:
    """Parse ``argv`` with the parser ``script`` builds, stopping there."""
    spec = importlib.util.spec_from_file_location(
        'readme_' + re.sub(r'\W', '_', script), osp.join(REPO, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entry = getattr(module, 'parse_args', None) or module.main
    real = argparse.ArgumentParser.parse_args

    def parse_only(self, args=None, namespace=None):
        raise Parsed(real(self, args, namespace))

    with mock.patch.object(argparse.ArgumentParser, 'parse_args',
                           parse_only), \
            mock.patch.object(sys, 'argv', [script] + list(argv)):
        try:
            entry()
        except Parsed as parsed:
            return parsed.args[0]
    raise AssertionError(f'{script} never parsed its arguments')


def check_paths(words: list):
    for word in words:
        value = word.split('=', 1)[-1]
        if value.startswith(REPO_DIRS):
            assert osp.exists(osp.join(REPO, value)), \
                f'{value} does not exist'


def test_pages_have_commands():
    readme = shell_commands('README.md')
    scripts = {w[1] for w in readme if w[0] in ('python', 'bash')}
    assert {'tools/demo.sh', 'tools/run_tests.sh', 'tools/dist_train.sh',
            'tools/demo/vl_demo.py'} <= scripts
    assert ['bash', 'tools/dist_train.sh', 'configs/semmim/pretrain_4m.py',
            '8'] in readme


def test_pictures_exist():
    for page in PAGES:
        with open(osp.join(REPO, page)) as f:
            for path in re.findall(r'!\[[^\]]*\]\(([^)\s]+)\)', f.read()):
                assert osp.isfile(osp.join(REPO, osp.dirname(page), path)), \
                    f'{page}: no picture {path}'


@pytest.mark.parametrize('page,words', all_commands())
def test_command(page, words, capsys):
    check_paths(words)
    program, script, args = words[0], words[1], words[2:]
    if program in ('pytest', 'pip', 'mim', 'source'):
        if '-r' in words:  # a requirements file
            path = words[words.index('-r') + 1]
            assert osp.isfile(osp.join(REPO, path)), f'{page}: no {path}'
        return  # installers and the test runner: paths checked above
    if program == 'python' and script == '-m':
        assert importlib.util.find_spec(args[0]), f'{page}: no {args[0]}'
        return
    if program == 'python' and script == '-c':
        compile(args[0], '<-c>', 'exec')
        return
    assert program in ('python', 'bash'), f'{page}: unknown program {words}'
    assert osp.isfile(osp.join(REPO, script)), f'{page}: no {script}'
    if script in LAUNCHERS:
        script, args = LAUNCHERS[script](args)
    if script.endswith('.py'):
        try:
            parse(script, args)
        except SystemExit as e:
            if e.code:  # --help exits with 0
                pytest.fail(f'{page}: {" ".join(words)}: '
                            f'{capsys.readouterr().err.strip()}')


def test_parse_catches_a_wrong_flag():
    """The check can fail: an unknown flag or a missing argument."""
    with pytest.raises(SystemExit):
        parse('tools/train.py', ['configs/semmim/pretrain_4m.py',
                                 '--no-such-flag'])
    with pytest.raises(SystemExit):
        parse('tools/test.py', ['configs/semmim/pretrain_4m.py'])
    args = parse('tools/train.py', ['configs/semmim/pretrain_4m.py',
                                    '--resume'])
    assert args.config == 'configs/semmim/pretrain_4m.py'
