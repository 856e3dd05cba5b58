"""Explanation pages: step-by-step derivations checked by SymPy, LaTeX pages and their PDFs,
the gallery, and notebook display.

Modules, in the order of the flow: :mod:`~workbench.explain.steps` (scalar rules) and
:mod:`~workbench.explain.matrix_steps` (differentials, identification), both checked by
:mod:`~workbench.explain.check` and :mod:`~workbench.explain.matrix_check`;
:mod:`~workbench.explain.latex` (escaping, printer, labels), :mod:`~workbench.explain.page`,
:mod:`~workbench.explain.pdf`, :mod:`~workbench.explain.write`,
:mod:`~workbench.explain.gallery` and :mod:`~workbench.explain.index`;
:mod:`~workbench.explain.notebook`; :mod:`~workbench.explain.command` (the CLI verbs).
Kept free of imports so that the CLI starts fast.
"""
