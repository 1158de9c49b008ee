"""Install semmim: ``pip install -e .`` (docs/get_started.md: the stack)."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

# What `mim` and semmim.apis.get_model read from the installed package
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(fname):
    """Parse a requirements file, following ``-r`` includes."""
    reqs = []
    path = osp.join(osp.dirname(__file__), 'requirements', fname)
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs.extend(read_requirements(line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


def get_version():
    ns = {}
    with open(osp.join(osp.dirname(__file__), 'semmim', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def add_mim_extension(argv=None, repo=None):
    """Ship the configs, tools and model index inside the package, as
    ``semmim/.mim`` (mmpretrain's layout, which ``mim`` reads).

    Links to the originals for an editable install (``pip install -e .``),
    copies for a wheel or a source distribution; nothing otherwise.
    """
    argv = sys.argv if argv is None else argv
    repo = repo or osp.dirname(osp.abspath(__file__))
    if 'develop' in argv or 'editable_wheel' in argv:
        mode = 'symlink'
    elif 'sdist' in argv or 'bdist_wheel' in argv:
        mode = 'copy'
    else:
        return None
    mim = osp.join(repo, 'semmim', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(repo, name), osp.join(mim, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst,
                            ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)
    return mode


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='semmim',
        version=get_version(),
        description='SemMIM: semantics-enhanced cross-modal masked image '
        'modeling for vision-language pre-training (OpenMMLab-style reference '
        'implementation)',
        long_description=open('README.md').read() if osp.exists('README.md')
        else '',
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        python_requires='>=3.10',
        install_requires=read_requirements('runtime.txt'),
        extras_require=dict(
            tests=read_requirements('tests.txt'),
            optional=read_requirements('optional.txt')),
        license='Apache-2.0',
        zip_safe=False,
    )
