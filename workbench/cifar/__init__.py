"""The course's CNN on CIFAR-10, trained through the gradient-oracle interface:
data → network → oracle → heavy-ball step → metrics → figures.

The names below load their module (and torch) on first use, so that the command line can
register ``workbench train`` and ``workbench evaluate`` without paying for torch. The
functions ``train`` and ``evaluate`` are not among them: those names are the modules
(``workbench.cifar.train.train``, ``workbench.cifar.evaluate.evaluate``), which a lazy package
could not tell apart from the functions.
"""

from importlib import import_module

_EXPORTS = {
    # public name: (module, name in the module)
    "Cifar10": ("data", "Cifar10"), "Split": ("data", "Split"),
    "UnofficialDataWarning": ("data", "UnofficialDataWarning"), "load_data": ("data", "load"),
    "Net": ("net", "Net"), "load_model": ("net", "load_model"), "make_net": ("net", "make_net"),
    "save_model": ("net", "save_model"),
    "ORACLES": ("oracle", "ORACLES"), "SpotCheckedOracle": ("oracle", "SpotCheckedOracle"),
    "make_oracle": ("oracle", "make_oracle"),
    "RECIPES": ("recipes", "RECIPES"), "Recipe": ("recipes", "Recipe"),
    "TrainConfig": ("train", "TrainConfig"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """A public name from its module, imported now (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    return getattr(import_module(f"{__name__}.{module}"), attribute)
