"""Bad input to ``momentum``, ``train`` and ``evaluate`` is one line and exit code 2, before
any work; diverging numbers are reported or fail clearly, never crash or pass as success; and
registering these verbs imports nothing heavy."""

import subprocess
import sys

HEAVY = ("torch", "sympy", "matplotlib", "numpy")


def test_registering_the_verbs_imports_no_heavy_module():
    """``workbench --help`` must not pay for torch, SymPy or matplotlib (seconds)."""
    code = ("import argparse, sys\n"
            "import workbench.momentum.command as m, workbench.cifar.command as c\n"
            "sub = argparse.ArgumentParser().add_subparsers()\n"
            "m.register(sub); c.register(sub)\n"
            "for verb in ('momentum', 'train', 'evaluate'):\n"
            "    sub.choices[verb].format_help()\n"
            f"print(sorted(h for h in {HEAVY!r} if h in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
