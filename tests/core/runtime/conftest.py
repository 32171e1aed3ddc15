from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlgym_tui.core.runtime import Runtime, RuntimeSettings, make_runtime
from tests.conftest import require_docker

BACKENDS = ["local", pytest.param("docker", marks=[pytest.mark.docker, pytest.mark.slow])]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        require_docker()
    return request.param


@pytest.fixture
def runtime(backend: str) -> Iterator[Runtime]:
    rt = make_runtime(backend, RuntimeSettings(output_cap_bytes=20_000))
    rt.start()
    try:
        yield rt
    finally:
        rt.close()
