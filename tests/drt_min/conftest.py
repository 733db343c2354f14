"""Tests never use the network: MNIST is fetched only where a test serves it from a local mirror."""

import pytest


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("DRT_OFFLINE", "1")
