"""``workbench momentum``: it writes its outputs (and the gallery), ``--json`` parses, and
bad arguments are one line on stderr with exit code 2."""

import json

import pytest

from workbench.cli import main

FAST = ["--grid", "12", "--iterations", "60"]


@pytest.mark.slow
def test_json_run_writes_outputs_and_the_gallery(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["momentum", *FAST, "-o", "out", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["oracle"] == "symbolic"
    assert summary["oracle_check"]["max_rel_difference"] < 1e-12
    labels = [a["label"] for a in summary["analyses"]]
    assert labels == ["course", "kappa100"]
    for a in summary["analyses"]:
        assert a["hessian"]["expression"] == "(2/n)*X.T*X"
        assert a["sweep"]["grid"] == [12, 12]
        for run in a["runs"]:
            assert run["relative_error"] < 0.05
        for name in (f"loss_curves_{a['label']}.png", f"sweep_{a['label']}.png"):
            assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"
            assert (tmp_path / "gallery" / "momentum" / name).is_file()
    assert json.loads((tmp_path / "out" / "momentum.json").read_text()) == summary
    answer = (tmp_path / "out" / "answer.md").read_text()
    assert "well-chosen momentum" in answer and "momentum bien choisi" in answer
    assert "without its momentum, lr 1.0 gives 1.2199 and does not converge" in answer
    assert not list((tmp_path / "out").glob(".*.tmp"))          # atomic writes left nothing


def test_text_run_with_autograd_and_kappa(tmp_path, capsys):
    out = tmp_path / "o"
    code = main(["momentum", *FAST, "--oracle", "autograd", "--kappa", "1000", "--n", "30",
                 "--features", "3", "--ill-kappa", "0", "-o", str(out), "--no-gallery"])
    assert code == 0
    text = capsys.readouterr().out
    assert "kappa1000" in text and "heavy ball, Polyak's optimum" in text
    assert (out / "sweep_kappa1000.png").is_file()
    assert not (out / "sweep_course.png").exists()


@pytest.mark.parametrize("args,where", [
    (["--n", "0"], "--n"),
    (["--kappa", "0.5"], "--kappa"),
    (["--kappa", "nan"], "--kappa"),
    (["--ill-kappa", "0.5"], "--ill-kappa"),
    (["--features", "0"], "--features"),
    (["--n", "2", "--features", "3"], "--n"),
    (["--features", "1", "--kappa", "10"], "--kappa"),
    (["--noise", "-1"], "--noise"),
    (["--iterations", "5"], "--iterations"),
    (["--grid", "1"], "--grid"),
    (["--grid", "1000", "--iterations", "1000"], "--grid"),
    (["--oracle", "numeric"], "--oracle"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, where):
    code = main(["momentum", *args, "-o", str(tmp_path), "--no-gallery"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"workbench: error: {where}: ")
    assert not list(tmp_path.iterdir())                          # nothing written
