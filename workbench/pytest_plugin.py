"""pytest plugin (entry point ``pytest11``): derivation files are test items.

Any ``*.toml`` file under a folder named ``derivations`` is collected; the item passes when the
file's verdict is the expected one, and fails with the diagnosis and counterexample otherwise.
``--wb-examples N`` sets the Hypothesis examples per derivation; by default the active Hypothesis
profile's ``max_examples`` does (``--hypothesis-profile``, or a profile loaded in a conftest).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("workbench")
    group.addoption("--wb-examples", type=int, default=None,
                    help="Hypothesis examples per derivation file (default: the active "
                         "Hypothesis profile's max_examples)")
    group.addoption("--wb-require", choices=["proof"], default=None,
                    help="--wb-require proof: a match short of a proof fails (undecided)")


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".toml" and "derivations" in file_path.parent.parts:
        return DerivationFileNode.from_parent(parent, path=file_path)
    return None


class DerivationFileNode(pytest.File):
    def collect(self):
        yield DerivationItem.from_parent(self, name=self.path.stem)


class DerivationFailure(Exception):
    """The file's outcome is not the expected one."""


class DerivationItem(pytest.Item):
    def runtest(self):
        from workbench.verify.crosscheck import CheckSettings
        from workbench.verify.runner import check_file
        examples = self.config.getoption("--wb-examples")
        if examples is None:
            from hypothesis import settings
            examples = settings.default.max_examples
        self.examples = examples              # what the check was asked for (tests read it)
        require = self.config.getoption("--wb-require") == "proof"
        self.result = check_file(self.path, CheckSettings(max_examples=examples,
                                                          require_proof=require))
        if not self.result.ok:
            raise DerivationFailure(self.result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, DerivationFailure):
            r = excinfo.value.args[0]
            if r.error or r.bug or r.undecided or r.report is None:
                return r.error or r.bug or r.undecided or f"{r.path}: no report"
            lines = [f"{r.path}: expected {r.expect}, got {r.report.verdict_line()}"]
            lines += [f"  at {a['point']}: gradient " + ("disagrees" if a["ok"] is False else
                                                       "not finite in float64")
                      for a in r.at if a["ok"] is not True]
            return "\n".join(lines + [r.report.to_text()])
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"derivation {self.name}"
