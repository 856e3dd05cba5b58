"""Derivation files: loading, schema errors with file:line:col, points, French titles, and the\npytest plugin (opt-in, xfail for files meant to be wrong, the diagnosis first)."""

import textwrap

import pytest

from workbench.derivation_file import load
from workbench.errors import ParseError, SchemaError
from workbench.verify.crosscheck import CheckSettings
from workbench.verify.runner import check_file

GOOD = '''
title = "t"
function = "2**x"
wrt = ["x"]

[variables]
x = "real"

[hand]
x = "2**x*log(2)"

[[at]]
x = 0
expect = { x = "log(2)" }
'''


def write(tmp_path, text, name="d.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_file_checks_and_evaluates_the_course_point(tmp_path):
    r = check_file(write(tmp_path, GOOD), CheckSettings(max_examples=20))
    assert r.ok, r.to_dict()
    g = r.at[0]["gradient"]["x"]
    assert g["exact"] == "log(2)" and abs(g["autograd"] - 0.6931471805599453) < 1e-12


@pytest.mark.parametrize("mutation, where, words", [
    (('function = "2**x"', 'function = "2**x + foo(x)"'), ":3:20", "unknown function"),
    (('function = "2**x"', 'function = "2**x.__class__"'), ":3:", "attribute"),
    (('x = "real"', 'x = "sometimes"'), ":7", "unknown domain"),
    (('wrt = ["x"]', 'wrt = ["z"]'), ":4", "not in [variables]"),
    (('title = "t"\n', ''), ":1", "missing key 'title'"),
    (('x = "2**x*log(2)"', 'x = "2**x*log(2"'), ":10:", "never closed"),
    (('title = "t"', 'nonsense = 1\ntitle = "t"'), ":2", "unknown key 'nonsense'"),
    (('wrt = ["x"]', 'wrt = ["x"'), ":", "TOML syntax"),
    (('x = 0\n', 'x = [1, 2]\n'), ":", "x must be a number"),
])
def test_schema_errors_name_file_line_and_key(tmp_path, mutation, where, words):
    path = write(tmp_path, GOOD.replace(*mutation, 1))
    with pytest.raises((SchemaError, ParseError)) as info:
        load(path)
    message = str(info.value)
    assert str(path) + where in message and words in message, message


def test_wrong_point_expectation_fails_the_file(tmp_path):
    path = write(tmp_path, GOOD.replace('expect = { x = "log(2)" }', 'expect = { x = "1" }'))
    r = check_file(path, CheckSettings(max_examples=10))
    assert not r.ok and r.status == "FAIL"


def test_expected_mismatch(tmp_path):
    text = GOOD.replace('x = "2**x*log(2)"', 'x = "x*2**(x-1)"').replace(
        'wrt = ["x"]', 'wrt = ["x"]\nexpect = "mismatch"')
    r = check_file(write(tmp_path, text), CheckSettings(max_examples=20))
    assert r.ok and r.status == "expected mismatch"


WRONG_HAND = 'x = "x*2**(x-1)"'


def _project(pytester):
    d = pytester.mkdir("derivations")
    (d / "good.toml").write_text(GOOD)
    (d / "bad.toml").write_text(GOOD.replace('x = "2**x*log(2)"', WRONG_HAND))
    (d / "meant_wrong.toml").write_text(GOOD.replace('x = "2**x*log(2)"', WRONG_HAND).replace(
        'wrt = ["x"]', 'wrt = ["x"]\nexpect = "mismatch"').replace(
        'expect = { x = "log(2)" }', ''))
    return d


@pytest.mark.slow
def test_pytest_plugin_is_off_in_a_project_that_does_not_enable_it(pytester):
    _project(pytester)
    result = pytester.runpytest_subprocess("derivations")
    result.assert_outcomes()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.slow
def test_pytest_plugin_collects_derivation_files_when_asked(pytester):
    d = _project(pytester)
    result = pytester.runpytest_subprocess("--wb-derivations", "--wb-examples", "20", "-ra",
                                           str(d))
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*_ derivation bad _*", "d/dx*",                  # the diagnosis first
                                 "*expected match, got mismatch*",
                                 "*correct gradient: d/dx = 2**x*log(2)*"])
    result.stdout.fnmatch_lines(["XFAIL*meant_wrong* - d/dx*"])


@pytest.mark.slow
def test_pytest_plugin_is_enabled_by_the_ini_file_and_fails_a_mistake_it_misses(pytester):
    pytester.makeini("[pytest]\nwb_derivations = true\n")
    d = pytester.mkdir("derivations")
    (d / "not_wrong.toml").write_text(GOOD.replace('wrt = ["x"]',
                                                   'wrt = ["x"]\nexpect = "mismatch"'))
    result = pytester.runpytest_subprocess("--wb-examples", "20", str(d))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*_ derivation not_wrong _*", "no mistake found: *",
                                 "*expected mismatch, got match*"])


PROFILE_CONFTEST = '''
from hypothesis import settings

settings.register_profile("tiny", max_examples=7, deadline=None)
settings.load_profile("tiny")
EXAMPLES = []


def pytest_runtest_teardown(item):
    EXAMPLES.append(item.examples)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"hypothesis examples per file: {EXAMPLES}")
'''


@pytest.mark.slow
@pytest.mark.parametrize("args, examples", [((), 7), (("--wb-examples", "13"), 13)],
                         ids=["profile", "option"])
def test_pytest_plugin_follows_the_hypothesis_profile_unless_told(pytester, args, examples):
    pytester.makeconftest(PROFILE_CONFTEST)
    d = pytester.mkdir("derivations")
    (d / "good.toml").write_text(GOOD)
    result = pytester.runpytest_subprocess("--wb-derivations", *args, str(d))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"hypothesis examples per file: [[]{examples}[]]"])
