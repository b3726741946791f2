"""One local Dask cluster (two worker processes, loopback only) for every test here."""

from __future__ import annotations

import pytest

from commission.distributed import dask_client


@pytest.fixture(scope="session")
def client():
    with dask_client(workers=2) as c:
        yield c
