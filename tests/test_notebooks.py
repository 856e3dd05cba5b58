"""The course notebooks (French and English) run from top to bottom with a real kernel: any
error, or a verdict that is not the course's (each checked by an assert in its cell), fails
the test; every workbench result shows itself as HTML, LaTeX and Markdown, never as a Python
repr."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAGES = ("cours_differentiation_automatique.ipynb", "course_automatic_differentiation.ipynb")
RICH = {"text/html", "text/latex", "text/markdown"}


@pytest.mark.parametrize("name", PAGES)
def test_the_notebook_runs_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    shown = [o.data for o in outputs if "text/html" in o.get("data", {})]
    assert len(shown) >= 8                  # derive, verify x4, explain, trace, momentum
    for data in shown:
        assert RICH <= set(data)
        assert not data["text/plain"].startswith("<workbench")
        assert "Report(" not in data["text/html"] and "object at 0x" not in data["text/html"]
    html = " ".join(d["text/html"] for d in shown)
    assert "data:image/png;base64," in html and "<svg" in html      # figures inline
    french = name.startswith("cours_")
    assert ("INCORRECT" in html and "démontré" in html) if french else \
        ("MISMATCH" in html and "MATCH" in html and "Verdict:" in html)


ROOT = NOTEBOOKS.parent


def _imports(path: Path) -> set[str]:
    """Top-level modules imported by ``path`` (Python source)."""
    import ast
    tree = ast.parse(path.read_text())
    return {(a.name if isinstance(n, ast.Import) else n.module).split(".")[0]
            for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in (n.names if isinstance(n, ast.Import) else [n])}


def test_ci_runs_the_readme_test_command_with_what_the_notebooks_need():
    import tomllib
    readme = (ROOT / "README.md").read_text()
    command = next(line.split("#")[0].strip() for line in readme.splitlines()
                   if "pytest" in line and "pip install" in line)
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1].strip() == command                 # CI runs exactly the README's command
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "tests" in project["tool"]["pytest"]["ini_options"]["testpaths"]
    assert "-m" not in project["tool"]["pytest"]["ini_options"].get("addopts", "")
    extra = command.split('".[')[1].split("]")[0]
    installed = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower()
                 for r in project["project"]["optional-dependencies"][extra]}
    needed = (_imports(Path(__file__)) - {"pathlib", "ast", "tomllib"}) | {"ipykernel"}
    assert {m.lower() for m in needed} - {"pytest"} <= installed, needed - installed
    assert "pytest" in installed
