"""Install semmim: ``pip install -e .`` (docs/get_started.md: the stack)."""
import os.path as osp

from setuptools import find_packages, setup


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
