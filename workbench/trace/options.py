"""The trace's choices, in a module that imports nothing: ``workbench trace --help`` lists them
without loading SymPy or torch."""

GROUPINGS = ("grouped", "elementary")
"""grouped: sign changes and constant shifts folded into the function next to them, as the
course draws it; elementary: every operation its own node."""
MODES = ("reverse", "forward")
FORMATS = ("svg", "png")
