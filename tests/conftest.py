import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _results_in_tmp(tmp_path_factory):
    """Tests never write into the checkout's results/."""
    os.environ.setdefault("FLEXREPRO_RESULTS", str(tmp_path_factory.mktemp("results")))
    # ...nor into its result cache (.cache/flexrepro/): every test run computes afresh.
    os.environ.setdefault("FLEXREPRO_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
