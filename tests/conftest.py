"""Hypothesis profiles: ``ci`` (derandomized, set by .ci/run through HYPOTHESIS_PROFILE) and
``dev`` (the default). Their ``max_examples`` also sets the examples per derivation file checked
by the workbench plugin, unless ``--wb-examples`` is given."""

import os

pytest_plugins = ["pytester"]

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
