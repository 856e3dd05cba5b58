"""One convention for every verb: ``-o/--output`` for what it writes (checked before any work),
``--device`` checked by one parser, handlers named ``cmd_<verb>``. Each test walks the real parser,
so a new verb that breaks the convention fails here."""

import argparse
import inspect
import os
import re
from pathlib import Path

import pytest
import torch

from workbench.atomic import check_output_dir
from workbench.cli import build_parser, main
from workbench.errors import UserError

ROOT = Path(__file__).parent.parent
PAGE = str(ROOT / "derivations" / "course_02_exp2.toml")

WRITERS = {"explain", "gallery", "grade", "momentum", "trace", "train"}
WITH_DEVICE = {"check", "check-code", "evaluate", "train", "verify"}


def verbs() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def option(parser: argparse.ArgumentParser, dest: str) -> list[argparse.Action]:
    return [a for a in parser._actions if a.dest == dest]


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def writing_command(verb: str, output, tmp_path: Path) -> list:
    """A command of ``verb`` that would write into ``output`` (quick to refuse)."""
    return {
        "explain": ["explain", PAGE, "--no-pdf", "-o", output],
        "gallery": ["gallery", "--derivations", ROOT / "derivations", "--no-pdf", "-o", output],
        "grade": ["grade", PAGE, tmp_path / "answers.csv", "-o", output],
        "momentum": ["momentum", "--no-gallery", "-o", output],
        "trace": ["trace", "x", "--at", "x=0", "-o", output],
        "train": ["train", "--data", tmp_path / "no-data", "--no-gallery", "-o", output],
    }[verb]


def device_command(verb: str, device: str, tmp_path: Path) -> list:
    return {
        "check": ["check", PAGE],
        "check-code": ["check-code", f"{tmp_path / 'model.py'}:f"],
        "evaluate": ["evaluate", tmp_path],
        "train": ["train", "--data", tmp_path / "no-data", "--no-gallery", "-o", tmp_path / "r"],
        "verify": ["verify", "x**2", "--wrt", "x", "--hand", "2*x"],
    }[verb] + ["--device", device]


def test_the_verbs_that_write_files_are_the_ones_listed_here():
    assert {v for v, p in verbs().items() if option(p, "output")} == WRITERS


@pytest.mark.parametrize("verb", sorted(WRITERS))
def test_output_is_dash_o_or_dash_dash_output_and_out_is_a_hidden_alias(verb, tmp_path):
    parser = verbs()[verb]
    shown = [a for a in option(parser, "output") if a.help != argparse.SUPPRESS]
    assert [a.option_strings for a in shown] == [["-o", "--output"]]
    assert not re.search(r"--out\b(?!put)", parser.format_help())
    for flag in ("-o", "--output", "--out"):
        argv = [str(a) for a in writing_command(verb, tmp_path / "x", tmp_path)]
        argv[argv.index("-o")] = flag
        args = build_parser().parse_args(argv)
        assert args.output == str(tmp_path / "x") and not hasattr(args, "out")


@pytest.mark.parametrize("verb", sorted(WRITERS))
def test_an_existing_file_as_output_is_refused_before_any_work(verb, capsys, tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    code, err = run(capsys, *writing_command(verb, existing, tmp_path))
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"workbench: error: --output: {existing} exists and is not a folder")
    assert "expected a folder" in line
    assert existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]   # nothing written


def test_the_old_out_spelling_is_checked_the_same_way(capsys, tmp_path):
    existing = tmp_path / "f"
    existing.write_text("")
    code, err = run(capsys, "momentum", "--no-gallery", "--out", existing)
    assert code == 2 and err.startswith("workbench: error: --output: ")


@pytest.mark.parametrize("where, words", [
    ("/proc/self/out", "is under /proc"),
    ("/sys/kernel/out", "is under /sys"),
    ("{file}/sub", "is not a folder"),
])
def test_outputs_that_cannot_be_folders_are_refused(where, words, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match=words) as info:
        check_output_dir(where.format(file=tmp_path / "file"), "--output")
    assert info.value.where == "--output"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_parent_that_cannot_be_written_is_refused(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, err = run(capsys, "trace", "x", "--at", "x=0", "-o", locked / "new")
    assert code == 2 and "is not writable" in err and len(err.strip().splitlines()) == 1


def test_new_and_existing_folders_are_accepted_and_nothing_is_created(tmp_path):
    assert check_output_dir(tmp_path) == tmp_path
    assert check_output_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()


def test_the_verbs_with_a_device_are_the_ones_listed_here():
    assert {v for v, p in verbs().items() if option(p, "device")} == WITH_DEVICE
    for verb in WITH_DEVICE:
        [device] = option(verbs()[verb], "device")
        assert device.choices is None      # checked by workbench.devices.parse_device


@pytest.mark.parametrize("name", ["foo", "meta", "mps"])
@pytest.mark.parametrize("verb", sorted(WITH_DEVICE))
def test_an_unknown_device_is_one_line_exit_2(verb, name, capsys, tmp_path):
    code, err = run(capsys, *device_command(verb, name, tmp_path))
    assert code == 2
    [line] = err.strip().splitlines()
    assert line == (f"workbench: error: --device: unknown device {name!r}; expected one of "
                    f"auto, cpu, cuda, cuda:N")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("verb", sorted(WITH_DEVICE))
def test_cuda_without_cuda_is_one_line_exit_2(verb, capsys, tmp_path):
    code, err = run(capsys, *device_command(verb, "cuda:0", tmp_path))
    assert code == 2
    assert err == "workbench: error: --device: CUDA is not available on this machine; use " \
                  "--device cpu\n"


def test_every_handler_is_named_cmd_verb():
    names = {verb: parser.get_default("func").__name__ for verb, parser in verbs().items()}
    assert names == {verb: f"cmd_{verb.replace('-', '_')}" for verb in names}


def test_every_verb_is_described_by_its_handler():
    """The description ``workbench VERB --help`` prints is the handler's docstring, one text
    for both (workbench.verbs.add_verb)."""
    for verb, parser in verbs().items():
        handler = parser.get_default("func")
        assert handler.__doc__ and parser.description == inspect.cleandoc(handler.__doc__), verb


def documented_exit_codes(verb: str) -> set[int]:
    """The exit codes README.md's command table lists for ``verb`` (its last column)."""
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{verb}` |"))
    cell = row.strip().strip("|").split("|")[-1]
    return {int(m.group(1)) for m in re.finditer(r"(?:^|,)\s*(\d+)\b", cell)}


@pytest.mark.parametrize("argv, code", [
    (["trace", "x*exp(exp(exp(100)))", "--at", "x=1"], 4),     # the float route overflows
    (["trace", "x**2", "--at", "x=1"], 0),
    (["trace", "x +", "--at", "x=1"], 2),
    (["derive", "x*exp(exp(100))", "--wrt", "x"], 0),           # accepted with a note
])
def test_exit_codes_are_the_documented_ones(argv, code, capsys):
    got = main(argv)
    out, err = capsys.readouterr()
    assert got == code, err
    assert code in documented_exit_codes(argv[0]), f"README lists no exit {code} for {argv[0]}"
    if code == 4:
        assert len(err.strip().splitlines()) == 1 and "undecided" in err and "float64" in err
    if argv[0] == "derive":
        assert "beyond float64" in out + err
