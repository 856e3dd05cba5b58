"""Grading a class (``workbench grade``): answers as students write them (ASCII, ``^`` or
LaTeX, chains of steps), each checked by the verification engine against the key (or the
student's variant of it), its diagnosis turned into a mistake code and a remark; a gradebook,
a page per student and a summary of the class's mistakes. The key itself (``[grading]``,
``[variants]``) is read by :mod:`workbench.grading_key`, which ``explain`` uses too. Names load on first use, so that
building the command line's parser imports neither SymPy nor torch."""

from workbench.lazy import lazy_exports

_EXPORTS = {"Graded": "run", "grade_class": "run", "write_pdfs": "pdf"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
