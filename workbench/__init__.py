"""workbench: symbolic-vs-automatic differentiation workbench."""

__version__ = "0.1.0"
