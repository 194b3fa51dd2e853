"""Fixtures of the sandbox contract tests; `sandbox` itself comes from the root conftest."""

import pytest

from .helpers import Api


@pytest.fixture
def api(sandbox):
    """A client for the reset sandbox of this test."""
    return Api(sandbox)
