"""Grading a class (``workbench grade``): answers as students write them (ASCII, ``^`` or
LaTeX, chains of steps), each checked by the verification engine against the key (or the
student's variant of it), its diagnosis turned into a mistake code and a remark; a gradebook,
a page per student and a summary of the class's mistakes."""

from workbench.grade.key import Grading, Key, load_key
from workbench.grade.run import Graded, grade_class

__all__ = ["Graded", "Grading", "Key", "grade_class", "load_key"]
