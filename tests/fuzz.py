"""Hypothesis strategies for hostile and random input: expression texts, derivation files and
command lines. Shared by tests/test_fuzz.py (the contract, in CI) and benchmarks/bench_fuzz.py
(the time per case, measured)."""

from __future__ import annotations

import tomllib

from hypothesis import strategies as st

NAMES = ["x", "y", "a", "X", "w", "n", "_", "__import__", "__class__", "lambda", "eval", "os",
         "sympify", "exec", "open", "pi", "e", "E", "oo", "nan", "I", "xscr", "T"]
FUNCTIONS = ["exp", "log", "sin", "cos", "tanh", "sigmoid", "softplus", "relu", "Abs", "sign",
             "Max", "Min", "sqrt", "atan", "sum", "mean", "norm", "inv", "det", "logdet",
             "Trace", "dot", "hadamard", "getattr", "print", "Heaviside", "Integral", "Lambda"]
NUMBERS = ["0", "1", "2", "-1", "0.5", "1e308", "1e400", "1e-400", "10**100", "9**9**9",
           "1" * 45, "1" * 5000, "0x10", "1_000", "3.", ".5", "1e", "inf", "nan", "2**-101"]
JUNK = ["(", ")", "[", "]", ",", ".", ".T", ":", ";", "'", '"', "\\", "@", "**", "*", "/",
        "//", "%", "^", "&", "|", "~", "==", "<", "lambda: 0", "().__class__", "{}", "\x00",
        "é", "\n", "#", "...", "if", "for", "x[0, 0]", "X[9, 9]", "*args", "f'{x}'",
        "[[x, 1], [2, x]]", "[[x], [y]]", "[[]]", "[x, y]", "[[x, [y]]]"]

LITERALS = ["[[x, 1], [2, x]]", "[[x], [y]]", "[[1, 2]]", "[[x]]"]
atoms = st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS), st.sampled_from(LITERALS))
expressions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "@"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, min_size=0, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"{e}.T")),
    max_leaves=8)
texts = st.one_of(
    expressions,
    st.lists(st.one_of(st.sampled_from(NAMES + FUNCTIONS + NUMBERS + JUNK)), min_size=1,
             max_size=12).map(" ".join),
    st.text(max_size=40),
    st.integers(1, 60).map(lambda k: "(" * k + "x" + ")" * k),
    st.integers(1, 400).map(lambda k: " + ".join(["x"] * k)))

# --------------------------------------------------------------------- derivation files

class Huge:
    """An integer literal beyond Python's 4,300-digit conversion limit (written as text)."""

    def __repr__(self) -> str:
        return "Huge()"


scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, width=64),
                    st.sampled_from([Huge(), 3, 0]))
toml_values = st.recursive(
    st.one_of(st.text(max_size=30), scalars, st.booleans(), expressions),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["x", "y", "X", "shape", "domain",
                                                             "expect", "n"]), inner,
                                            max_size=3)),
    max_leaves=6)
variables = st.dictionaries(
    st.sampled_from(["x", "y", "X", "w", "bad name", "_x"]),
    st.one_of(st.sampled_from(["real", "positive", "negative", "nonzero", "spd", "[0, 1]",
                               "[1, 0]", "complex", ""]),
              st.fixed_dictionaries({"shape": st.one_of(
                  st.lists(st.sampled_from(["n", 2, 0, -1, 65, "p", 2.5]), max_size=3),
                  st.integers())}, optional={"domain": st.sampled_from(["real", "spd", 7])}),
              toml_values),
    max_size=3)
derivation_files = st.fixed_dictionaries(
    {},
    optional={
        "title": st.one_of(st.text(max_size=30), scalars),
        "function": st.one_of(expressions, scalars),
        "wrt": st.one_of(st.lists(st.sampled_from(["x", "y", "X", "z", 3]), max_size=2),
                         st.sampled_from(["x", "x,y", ""]), scalars),
        "variables": variables,
        "hand": st.one_of(st.dictionaries(st.sampled_from(["x", "y", "X"]),
                                          st.one_of(expressions, scalars), max_size=2),
                          scalars),
        "at": st.one_of(st.lists(st.dictionaries(st.sampled_from(["x", "y", "expect", "X"]),
                                                 toml_values, max_size=3), max_size=2),
                        scalars),
        "expect": st.sampled_from(["match", "mismatch", "maybe", 3]),
        "tags": st.one_of(st.lists(st.text(max_size=5), max_size=2), scalars),
        "unknown": toml_values,
    })


def toml_text(data: dict) -> str:
    """``data`` written as TOML (a minimal writer: what tomllib reads back)."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append((f"[{key}]", item))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, table in tables:
        header = f"[{key}]" if not key.startswith("[") else f"[{key}]"
        lines.append(header)
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _key(k) -> str:
    return k if str(k).replace("_", "").isalnum() else '"' + str(k).replace('"', '') + '"'


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Huge):
        return "1" * 4400
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if v == v and abs(v) != float("inf") else "inf"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\x00", "") + '"'


def readable(text: str) -> bool:
    try:
        tomllib.loads(text)
        return True
    except (tomllib.TOMLDecodeError, ValueError):
        return False


# --------------------------------------------------------------------- command lines

words = st.sampled_from(["x", "y", "X", "0", "-1", "1e400", "2**70", "abc", "", "x=1", "x=",
                         "=1", "X=n,p", "X=3,3", "X=0,1", "x=positive", "x=[1,0]", "y=spd",
                         "/proc/x", "/nonexistent/dir", "cuda", "meta", "mps", "foo", "cpu",
                         "float16", "-5", "999999999999", "nan", "inf", "2",
                         "derivations/calc_atan.toml", "README.md", "--", "-o"])
VERBS = {
    "derive": ["--wrt", "--matrix", "--domain", "--at", "--latex", "--json", "--order",
               "--steps"],
    "verify": ["--wrt", "--hand", "--matrix", "--domain", "--examples", "--dtype", "--device",
               "--seed", "--require", "--json", "--order"],
    "check": ["--examples", "--dtype", "--device", "--seed", "--jobs", "--json", "-v"],
    "trace": ["--at", "--wrt", "--matrix", "--domain", "--mode", "--nodes", "--lang", "--json"],
}
FLAGS = {"--latex", "--json", "-v", "--steps"}


@st.composite
def command_lines(draw) -> list[str]:
    verb = draw(st.sampled_from(sorted(VERBS)))
    argv = [verb]
    if verb != "check":
        argv.append(draw(st.one_of(expressions, words)))
    for option in draw(st.lists(st.sampled_from(VERBS[verb]), max_size=5)):
        argv.append(option)
        if option not in FLAGS:
            argv.append(draw(st.one_of(words, expressions)))
    if verb == "check":
        argv += draw(st.lists(words, max_size=2))
        if "--examples" not in argv:
            argv += ["--examples", "3"]
    if verb == "verify" and "--examples" not in argv:
        argv += ["--examples", "3"]
    return argv
