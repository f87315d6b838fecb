import os

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
