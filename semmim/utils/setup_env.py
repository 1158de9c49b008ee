"""Import every semmim module so its parts register, and set the scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules of mmpretrain and semmim into the registries.

    Args:
        init_default_scope (bool): Whether to make ``semmim`` the default
            scope, so that plain names resolve from semmim's registry nodes
            (then mmpretrain's and MMEngine's). Defaults to True.
    """
    import mmpretrain.utils
    mmpretrain.utils.register_all_modules(init_default_scope=False)

    import semmim.cpu  # noqa: F401
    import semmim.datasets  # noqa: F401
    import semmim.engine  # noqa: F401
    import semmim.evaluation  # noqa: F401
    import semmim.models  # noqa: F401
    import semmim.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('semmim', scope_name='semmim')
    elif current.scope_name != 'semmim':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "semmim"; register_all_modules switches it.')
        DefaultScope.get_instance(f'semmim-{datetime.datetime.now()}',
                                  scope_name='semmim')
