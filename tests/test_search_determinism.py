"""A search's points do not depend on what else the process imported: Hypothesis (6.131 on)
draws 5 % of its numbers from the literals of the "local" modules in sys.modules, so a check
run alone and the same check in a full suite (or in each pytest-xdist worker) drew different
points (stop 31: a precision test failed in the suite and passed alone)."""

import importlib.util
import sys

import hypothesis.strategies as st

from workbench.verify.strategies import first_failure, own_constants, SHRINK_PHASES


class _Never(Exception):
    pass


def _draws():
    seen = []
    strategy = st.lists(st.integers(0, 2 ** 32 - 1), min_size=40, max_size=40)
    first_failure(strategy, seen.append, _Never, examples=20, seed=None, phases=SHRINK_PHASES)
    return seen


def _import_literals(tmp_path, name):
    literals = ", ".join(str(1_000_003 * k + 7) for k in range(1, 400))
    path = tmp_path / f"{name}.py"
    path.write_text(f"VALUES = [{literals}]\nSCALES = [{', '.join(f'{k}.125' for k in range(300))}]\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module


def test_a_search_draws_the_same_points_whatever_the_process_imported(tmp_path, monkeypatch):
    before = _draws()
    _import_literals(tmp_path, "workbench_pool_probe")
    try:
        assert _draws() == before
    finally:
        sys.modules.pop("workbench_pool_probe", None)


def test_the_pool_is_restored_after_a_search_even_when_nested():
    from hypothesis.internal.conjecture import providers
    getter, cache = providers._get_local_constants, providers.CONSTANTS_CACHE
    with own_constants():
        inner = providers._get_local_constants
        assert inner is not getter and not inner().integers
        with own_constants():
            assert providers._get_local_constants is inner
        assert providers._get_local_constants is inner
    assert providers._get_local_constants is getter and providers.CONSTANTS_CACHE is cache
