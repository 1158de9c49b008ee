from .paths import resolve_path
from .setup_env import register_all_modules

__all__ = ['register_all_modules', 'resolve_path']
