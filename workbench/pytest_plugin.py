"""pytest plugin (entry point ``pytest11``): derivation files as test items, for projects that
ask for it.

Off unless enabled, so that installing the workbench changes no other project's test run:
``pytest --wb-derivations``, or in the project's configuration::

    [tool.pytest.ini_options]          # pyproject.toml (or [pytest] in pytest.ini)
    wb_derivations = true

Then any ``*.toml`` file under a folder named ``derivations`` is collected. An item passes when
the file's verdict is the expected one; a file meant to be wrong (``expect = "mismatch"``)
whose mismatch is found is reported as xfailed, and as a failure when it is not found. A
failure's first line is the diagnosis (or why the check could not decide), then the expected
and actual verdicts and the full report.

``--wb-examples N`` sets the Hypothesis examples per derivation; by default the active
Hypothesis profile's ``max_examples`` does (``--hypothesis-profile``, or a profile loaded in a
conftest). ``--wb-require proof`` fails any match short of a proof.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("workbench")
    group.addoption("--wb-derivations", action="store_true", default=None,
                    help="collect derivation files (derivations/*.toml) as test items")
    group.addoption("--wb-examples", type=int, default=None,
                    help="Hypothesis examples per derivation file (default: the active "
                         "Hypothesis profile's max_examples)")
    group.addoption("--wb-require", choices=["proof"], default=None,
                    help="--wb-require proof: a match short of a proof fails (undecided)")
    parser.addini("wb_derivations", type="bool", default=False,
                  help="collect derivation files (derivations/*.toml) as test items")


def _enabled(config) -> bool:
    return bool(config.getoption("--wb-derivations") or config.getini("wb_derivations"))


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".toml" and "derivations" in file_path.parent.parts and \
            _enabled(parent.config):
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
        if self.result.expect == "mismatch":
            pytest.xfail(first_line(self.result))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, DerivationFailure):
            r = excinfo.value.args[0]
            if r.error or r.bug or r.undecided or r.report is None:
                return r.error or r.bug or r.undecided or f"{r.path}: no report"
            lines = [first_line(r), f"{r.path}: expected {r.expect}, got "
                                    f"{r.report.verdict_line()}"]
            lines += [f"  at {a['point']}: gradient " + ("disagrees" if a["ok"] is False else
                                                       "not finite in float64")
                      for a in r.at if a["ok"] is not True]
            return "\n".join(str(x) for x in lines + [r.report.to_text()])
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"derivation {self.name}"


def first_line(r) -> str:
    """The diagnosis of a file's result in one line: the first diagnosis, else why the verdict
    is what it is."""
    rep = r.report
    if rep.diagnosis:
        return str(rep.diagnosis[0])   # a Said is a str that xdist cannot send
    if rep.verdict == "undecided":
        return f"undecided: {rep.how}"
    if rep.verdict == "match" and r.expect == "mismatch":
        return f"no mistake found: {rep.how}"
    failed = [a for a in r.at if a["ok"] is not True]
    if failed:
        return f"at {failed[0]['point']}: the gradient is not the expected value"
    return rep.verdict_line()
