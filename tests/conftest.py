"""Every test runs without the user's cache and without this machine's containerd config."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_user_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("user-state")
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", str(Path(base) / "no-certs.d"))
