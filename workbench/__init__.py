"""workbench: symbolic-vs-automatic differentiation workbench.

The public names below load their module on first use, so that ``import workbench`` (and the
command line) imports neither torch nor SymPy:

    >>> import workbench as wb
    >>> wb.verify("2**x", "x", "2**x*log(2)")          # the notebook API, workbench.api
    >>> wb.check_gradient(fn, (x,), grad=my_grad)      # gradients written as code, workbench.code
    >>> wb.gradcheck(MyFunction.apply, (x,))           # a drop-in for torch.autograd.gradcheck

The five verbs of the notebook API share their names with subpackages (``workbench.derive``,
``workbench.verify``, ``workbench.trace``, ``workbench.explain``, ``workbench.momentum``), so
each is a :class:`_Verb`: calling it runs the function, its attributes are the subpackage's
(``workbench.trace.core`` still works), and importing the subpackage does not replace it.
"""

import sys
import types
from importlib import import_module
from pathlib import Path

__version__ = "0.1.0"

# public name: the module that defines it
_EXPORTS = {
    "derive": "workbench.api", "verify": "workbench.api", "trace": "workbench.api",
    "explain": "workbench.api", "momentum": "workbench.api",
    "check_gradient": "workbench.code", "gradcheck": "workbench.code",
    "check_precision": "workbench.code",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """A public name from its module, imported now (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


class _Verb:
    """``workbench.NAME`` where NAME is both a function of the API and a subpackage: a call
    goes to the function, an attribute to the subpackage."""

    def __init__(self, name: str, module: str):
        self._name, self._module = name, module

    def _function(self):
        return getattr(import_module(self._module), self._name)

    def __call__(self, *args, **kwargs):
        return self._function()(*args, **kwargs)

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(import_module(f"{__name__}.{self._name}"), attribute)

    def __dir__(self):
        return dir(import_module(f"{__name__}.{self._name}"))

    @property
    def __doc__(self):
        return self._function().__doc__

    @property
    def __signature__(self):
        import inspect
        return inspect.signature(self._function())

    def __repr__(self) -> str:
        return f"<workbench.{self._name}: the function {self._module}.{self._name} and the " \
               f"package workbench.{self._name}>"


class _Package(types.ModuleType):
    """The import system binds a subpackage to its parent's attribute on first import; a verb
    of the same name stays (its attributes already reach the subpackage)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(globals().get(name), _Verb) and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


for _name, _module in _EXPORTS.items():
    if (Path(__file__).parent / _name).is_dir():
        globals()[_name] = _Verb(_name, _module)
sys.modules[__name__].__class__ = _Package
