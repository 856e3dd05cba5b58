"""Explanation pages: step-by-step derivations checked by SymPy, LaTeX pages and their PDFs,
the gallery, and notebook display.

Modules, in the order of the flow: :mod:`~workbench.explain.steps` (scalar rules, from the
facts of :mod:`workbench.derive.facts`) and :mod:`~workbench.explain.matrix_steps`
(differentials, identification), both making the chains of :mod:`~workbench.explain.chain`,
checked by :mod:`~workbench.explain.check` and :mod:`~workbench.explain.matrix_check`;
:mod:`~workbench.explain.latex` (printer, rule names, document; user text escaped by
:mod:`workbench.tex`, words from :mod:`workbench.words`), :mod:`~workbench.explain.page`,
:mod:`~workbench.explain.figure`, :mod:`~workbench.explain.pdf`,
:mod:`~workbench.explain.write`, :mod:`~workbench.explain.gallery` and
:mod:`~workbench.explain.index`; :mod:`~workbench.explain.notebook`;
:mod:`~workbench.explain.command` (the CLI verbs). Kept free of imports so that the CLI starts
fast.
"""
