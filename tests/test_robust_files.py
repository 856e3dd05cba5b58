"""Bad derivation files and folders: a clear error naming file, line and key (exit code 2),
never a hang, a traceback or a page silently overwritten."""

import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sympy

from workbench import derivation_file
from workbench.cli import main
from workbench.derivation_file import MAX_FILE_BYTES, load
from workbench.errors import SchemaError, UserError
from workbench.explain import gallery as gallery_module
from workbench.explain.gallery import Entry
from workbench.explain.latex import math

ROOT = Path(__file__).resolve().parents[1]
GOOD = textwrap.dedent('''\
    title = "t"
    function = "2**x"
    wrt = ["x"]

    [variables]
    x = "real"

    [[at]]
    x = 0
    ''')
MATRIX = textwrap.dedent('''\
    title = "t"
    function = "sum(X)"
    wrt = ["X"]

    [variables]
    X = { shape = ["n", 2] }

    [[at]]
    X = [[1, 2], [3, 4]]
    ''')


def write(folder, text, name="d.toml"):
    path = folder / name
    path.write_text(text)
    return path


# --- what is read: regular files only, at most the cap -------------------------------------

def test_a_fifo_named_toml_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)

    def feed():             # a writer, so that a reader which opens the FIFO gets a good file
        with open(fifo, "w") as f:
            f.write(GOOD)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with pytest.raises(SchemaError) as info:
            load(fifo)
        assert "FIFO" in info.value.message and info.value.where == str(fifo)
    finally:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)     # let the writer finish
        writer.join()
        os.close(reader)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "device.toml"
    link.symlink_to("/dev/null")
    with pytest.raises(SchemaError) as info:
        load(link)
    assert "character device, not a regular file" in info.value.message


def test_reading_stops_one_byte_past_the_cap(tmp_path, monkeypatch):
    big = write(tmp_path, "#" * (10 * MAX_FILE_BYTES))
    read = []
    real_read = os.read
    monkeypatch.setattr(derivation_file.os, "read",
                        lambda fd, n: read.append(len(chunk := real_read(fd, n))) or chunk)
    with pytest.raises(SchemaError, match="larger than"):
        load(big)
    assert sum(read) == MAX_FILE_BYTES + 1


def test_check_of_a_folder_without_derivation_files_is_bad_input(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no derivations here")
    (tmp_path / "folder.toml").mkdir()              # a folder, not a derivation file
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}: no derivation files" in err


def test_check_of_a_device_symlink_is_exit_2(tmp_path, capsys):
    (tmp_path / "zero.toml").symlink_to("/dev/null")
    assert main(["check", str(tmp_path)]) == 2
    assert "not a regular file" in capsys.readouterr().out


# --- schema: types, numbers, shapes -------------------------------------------------------

@pytest.mark.parametrize("mutation, where, words", [
    (("[[at]]\nx = 0\n", ""), ":4: key at", "expected [[at]] tables"),
    (("[[at]]\nx = 0\n", "[at]\nx = 0\n"), ":8: key at", "expected [[at]] tables"),
    (('wrt = ["x"]', 'wrt = ["x"]\ntags = 3'), ":4: key tags", "list of words"),
    (('wrt = ["x"]', 'wrt = ["x"]\ntags = ["a", 1]'), ":4: key tags", "list of words"),
    (('wrt = ["x"]', 'wrt = ["x"]\ndescription = 3'), ":4: key description", "text in quotes"),
    (("x = 0\n", "x = 1" + "0" * 5000 + "\n"), ":9: key at.x", "longer than 4,300 digits"),
    (("x = 0\n", "x = 0x" + "f" * 5000 + "\n"), ":9: key at.x", "within float64's range"),
    (("x = 0\n", "x = 1" + "0" * 400 + "\n"), ":9: key at.x", "within float64's range"),
    (("x = 0\n", "x = inf\n"), ":9: key at.x", "finite"),
    (("x = 0\n", "x = 0\n\n[[at]]\nx = true\n"), ":12: key at.x", "must be a number"),
])
def test_wrong_types_and_numbers_name_file_line_and_key(tmp_path, mutation, where, words):
    text = GOOD if mutation[1] else GOOD.replace('wrt = ["x"]', 'wrt = ["x"]\nat = 3')
    path = write(tmp_path, text.replace(*mutation))
    with pytest.raises(SchemaError) as info:
        load(path)
    assert f"{path}{where}" in str(info.value) and words in info.value.message, str(info.value)


@pytest.mark.parametrize("mutation, where, words", [
    (("X = [[1, 2], [3, 4]]", "X = [[1, 2, 3]]"), ":9: key at.X", "X is 1x3, but its shape is"),
    (("X = [[1, 2], [3, 4]]", "X = [[1, 2], [3]]"), ":9: key at.X", "rows of equal length"),
    (("X = [[1, 2], [3, 4]]", "X = [" + "[1, 2], " * 70 + "]"), ":9: key at.X", "1..64"),
    (("X = [[1, 2], [3, 4]]", 'X = [[1, 2], [3, 4]]\nexpect = { X = "1" }'),
     ":10: key at.expect.X", "the expected value is a scalar; the gradient with respect to X"),
    (("X = [[1, 2], [3, 4]]", 'X = [[1, 2], [3, 4]]\nexpect = { X = "X.T" }'),
     ":10: key at.expect.X", "is 2xn"),
])
def test_matrix_points_fit_their_shapes(tmp_path, mutation, where, words):
    path = write(tmp_path, MATRIX.replace(*mutation))
    with pytest.raises(SchemaError) as info:
        load(path)
    assert f"{path}{where}" in str(info.value) and words in info.value.message, str(info.value)


def test_a_constant_past_pythons_digit_limit_in_an_expression_is_located(tmp_path):
    path = write(tmp_path, GOOD.replace('"2**x"', '"(9**40)**50*(9**40)**50*(9**40)**50*x"'))
    with pytest.raises(UserError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}:2:") and "key function" in str(info.value)
    assert main(["check", str(path)]) == 2


def test_an_error_in_a_later_point_names_its_line(tmp_path):
    path = write(tmp_path, GOOD + '\n[[at]]\nx = 1\nexpect = { x = "log(" }\n')
    with pytest.raises(UserError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}:13:") and "at.expect.x" in str(info.value)


@pytest.mark.parametrize("mutation", [("[[at]]\nx = 0\n", ""),
                                      ('wrt = ["x"]', 'wrt = ["x"]\ntags = 3'),
                                      ("x = 0\n", "x = " + "9" * 5000 + "\n")])
def test_check_gives_exit_2_not_3(tmp_path, mutation):
    text = GOOD if mutation[1] else GOOD.replace('wrt = ["x"]', 'wrt = ["x"]\nat = 3')
    path = write(tmp_path, text.replace(*mutation))
    assert main(["check", str(path), "--examples", "5"]) == 2


# --- pages: unique names, names TeX can set, TeX failures reported -------------------------

def test_slugs_are_unique_and_a_clean_name_keeps_its_own():
    names = ["a b", "a-b", "a.b", "A", "a", "sub/x", "sub-x", "plain"]
    slugs = gallery_module.unique_slugs(names)
    assert len({s.casefold() for s in slugs.values()}) == len(names)
    assert slugs["a-b"] == "a-b" and slugs["sub-x"] == "sub-x" and slugs["plain"] == "plain"
    assert slugs["a b"].startswith("a-b-") and slugs["sub/x"].startswith("sub-x-")
    assert slugs == gallery_module.unique_slugs(list(reversed(names)))


@pytest.mark.slow
def test_gallery_keeps_pages_whose_names_give_one_slug(tmp_path, capsys):
    src = tmp_path / "derivations"
    src.mkdir()
    write(src, GOOD.replace('"t"', '"first"'), "a b.toml")
    write(src, GOOD.replace('"t"', '"second"'), "a-b.toml")
    out = tmp_path / "gallery"
    args = ["gallery", "-o", str(out), "--derivations", str(src), "--no-pdf", "--jobs", "1",
            "--examples", "5"]
    assert main(args) == 0
    titles = [re.search(r"\\title\{(.*)\}", p.read_text()).group(1)
              for p in (out / "pages").glob("*.tex")]
    assert sorted(titles) == ["first", "second"]
    (src / "a b.toml").unlink()                 # the other page's files stay
    assert main(args) == 0
    assert [p.name for p in (out / "pages").glob("*.tex")] == ["a-b.tex"]


def test_gallery_exits_2_when_a_page_failed(tmp_path, monkeypatch, capsys):
    src = tmp_path / "derivations"
    src.mkdir()
    failed = Entry("p", "p", "k", "t", "match", "ok", error="p.tex: TeX failed (exit 1): "
                                                            "Undefined control sequence")
    monkeypatch.setattr(gallery_module, "build_gallery", lambda *a, **k: [failed])
    assert main(["gallery", "-o", str(tmp_path / "g"), "--derivations", str(src)]) == 2
    assert capsys.readouterr().err.startswith("workbench: error: p: p.tex: TeX failed")


@pytest.mark.parametrize("name", ["xscr", "Xscr", "xnormscr", "x_1", "beta", "xhat"])
def test_every_name_is_typeset_with_the_pages_packages(name):
    for symbol in (sympy.Symbol(name), sympy.MatrixSymbol(name, 2, 2)):
        assert r"\mathscr" not in math(symbol ** 2 if symbol.is_Symbol else symbol.T)
    assert math(sympy.Symbol("beta_1")) == r"\beta_{1}"


def test_explain_command_imports_no_heavy_library():
    code = ("import sys, workbench.explain.command; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('torch', 'sympy', 'matplotlib')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]"


def test_the_command_line_parser_imports_no_heavy_library():
    """Every verb is registered without torch, SymPy or matplotlib (``--help`` and bad
    arguments answer in a fraction of a second); a verb's module that imports its library at
    the top breaks this."""
    code = ("import sys, workbench.cli; workbench.cli.build_parser(); print(sorted(m for m in "
            "sys.modules if m.split('.')[0] in ('torch', 'sympy', 'matplotlib')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "[]"
