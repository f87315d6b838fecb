import os

# Idle OpenMP threads sleep instead of spinning. The tests run PyTorch (its own OpenMP
# runtime) next to cconv1d on small machines; two runtimes spinning on two cores slow
# each other down many times over. Read when a runtime starts, so set before any import.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# A fixed example budget keeps CI fast; CCONV1D_HYPOTHESIS_PROFILE=long searches longer.
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CCONV1D_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
