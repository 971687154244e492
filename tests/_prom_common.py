"""Fixtures shared by the Prom.ua tests: a running simulator and adapters pointed at it."""

import pytest

from omni_connectors.prom import PromAdapter
from omni_sandbox.prom import PromSimulator

TOKEN = "prom-test-token-7c1e5a"


@pytest.fixture
def prom_sim():
    with PromSimulator(token=TOKEN) as sim:
        yield sim


@pytest.fixture
def prom_adapter_factory(prom_sim):
    made = []

    def make(token=TOKEN, **options):
        options.setdefault("timeout", (2, 2))
        options.setdefault("backoff_base", 0.001)
        options.setdefault("backoff_max", 0.01)
        options.setdefault("max_retries", 1)
        adapter = PromAdapter(token, base_url=prom_sim.url + "/api/v1", **options)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


@pytest.fixture
def prom(prom_adapter_factory):
    return prom_adapter_factory()
