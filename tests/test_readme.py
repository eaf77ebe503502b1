"""The README's commands work as written from a clone, and its recipes are the linted files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.version import __version__

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    start = README.index(marker)
    match = re.compile(r"```[a-z]*\n(.*?)```\n", re.S).search(README, start)
    assert match is not None, marker
    return match.group(1)


def _commands(block: str) -> list[str]:
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]


def test_the_first_lines_install_and_run_the_main_job_then_the_tests() -> None:
    first = _commands(_block_after("# image-coverage"))
    assert first == [
        "pip install . && coverage scan fixtures/manifests",
        "pip install -e '.[test]' && python3 -m pytest",
    ]


USAGE = _commands(_block_after("Every command below runs as written from a clone"))


@pytest.mark.parametrize("command", USAGE)
def test_every_usage_command_runs_from_a_clone(command: str, tmp_path: Path) -> None:
    if command.startswith("kubectl") and shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env["IMAGE_COVERAGE_NODE_HOSTS_DIR"] = str(tmp_path / "no-certs.d")
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    # 1 is a failing gate on the sample manifests (by design); anything else is a broken line
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() or done.stderr.strip()


def test_the_ci_recipes_in_the_readme_are_the_linted_example_files() -> None:
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        assert f"`examples/{name}`" in README
        assert f"```yaml\n{text}```\n" in README, name


def test_the_pre_commit_rev_is_this_release_and_it_is_in_the_changelog() -> None:
    assert f"rev: v{__version__} " in _block_after("### pre-commit")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## v{__version__}" in changelog
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{__version__}"' in pyproject


def test_the_architecture_table_names_every_module() -> None:
    table = README[README.index("## Architecture") : README.index("**Dependencies.**")]
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "analyzer").rglob("*.py"))
        if path.stem not in ("__init__", "__main__") and f"{path.stem}" not in table
    ]
    assert missing == []
