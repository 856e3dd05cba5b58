"""The README as a newcomer reads it (issue 26, item 10): the CPU choice comes before the first
install command, and the pytest plugin's two conditions and assert_gradient's matrices are
stated, with an example that runs."""

import re
from pathlib import Path

import workbench.testing

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_cpu_build_is_chosen_before_the_first_install():
    commands = [line for line in README.splitlines() if "pip install" in line]
    assert "download.pytorch.org/whl/cpu" in commands[0]
    assert README.index("No GPU") < README.index("pip install -e .")


def test_the_plugin_needs_are_stated():
    section = README.split("## In your tests")[1].split("\n## ")[0]
    assert "--wb-derivations" in section and "wb_derivations = true" in section
    assert "derivations/" in section and "variables=" in section


def test_the_assert_gradient_example_with_matrices_runs():
    section = README.split("## In your tests")[1].split("\n## ")[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)      # our own README, not user text
    assert namespace["assert_gradient"] is workbench.testing.assert_gradient
