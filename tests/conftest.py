"""Every test runs without the user's cache and without this machine's containerd config.

Under ``CI=true`` a test may not skip for want of a binary or a package: CI installs
everything the suite needs, so such a skip means an install step is missing and fails the
run. Only the skips in ``ALLOWED_IN_CI`` (facts of the machine, not missing installs) stay.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Generator
from pathlib import Path

import pytest

from analyzer.version import build
from tests.compiled_build import stale_compiled_modules

ROOT = Path(__file__).resolve().parents[1]

#: skip reasons that are facts of the CI machine, not a missing install
ALLOWED_IN_CI = ("root reads files whatever their mode", "SIGKILL is POSIX")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(autouse=True)
def _no_user_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("user-state")
    monkeypatch.setenv("IMAGE_COVERAGE_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_HOSTS_DIR", str(Path(base) / "no-certs.d"))
    monkeypatch.setenv("IMAGE_COVERAGE_NODE_ROOT", str(Path(base) / "no-node-root"))


def _version(command: list[str]) -> str:
    if shutil.which(command[0]) is None:
        return "not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def pytest_sessionstart(session: pytest.Session) -> None:
    stale = stale_compiled_modules(ROOT)
    if stale:
        raise pytest.UsageError(
            f"edited after their in-place mypyc build, so their old compiled code would run: "
            f"{', '.join(stale)}; rebuild (IMAGE_COVERAGE_COMPILE=1 pip install -e .) or "
            "delete the .so files (see the README's Development section)"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The build under test, and the real binaries the integration suites prove routes against."""
    return [
        f"analyzer: {build()}",
        f"containerd: {_version(['containerd', '--version'])}",
        f"skopeo: {_version(['skopeo', '--version'])}",
        f"kubectl: {_version(['kubectl', 'version', '--client'])}",
    ]


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def _fail_ci_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (_in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if any(allowed in reason for allowed in ALLOWED_IN_CI):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true: {reason}\n"
        "CI must install every binary and package the suite needs (see .ci/run)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    _fail_ci_skip(outcome.get_result())  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, None]:
    outcome = yield
    _fail_ci_skip(outcome.get_result())  # type: ignore[attr-defined]


# Property tests (hypothesis): a quick run by default; HYPOTHESIS_PROFILE=long for the long
# fuzz run described in the README's reliability section.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("default", max_examples=25, deadline=None)
_hypothesis_settings.register_profile("long", max_examples=2000, deadline=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
