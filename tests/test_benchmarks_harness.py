"""The benchmark harness alternates the two sides of a comparison and checks every run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.benchmarks.harness import BenchmarkFailed, Command, Run, compare

#: appends its second argument to the file named first, then exits with the third
LOG = "import sys; open(sys.argv[1], 'a').write(sys.argv[2]); sys.exit(int(sys.argv[3]))"


def logging(log: Path, letter: str, code: int = 0, **kwargs: object) -> Command:
    argv = (sys.executable, "-c", LOG, str(log), letter, str(code))
    return Command(f"writes {letter}", argv, **kwargs)  # type: ignore[arg-type]


def test_the_two_commands_run_in_turn_after_one_warm_up_each(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    paired = compare(logging(log, "T"), logging(log, "R"), tmp_path, 3)
    # warm-up of each (not counted), then tool, reference, tool, reference...
    assert log.read_text() == "TR" + "TR" * 3
    assert paired.tool.runs == paired.reference.runs == 3
    assert len(paired.cpu_ratios) == 3
    low, high = paired.spread
    assert 0 < low <= high
    assert paired.tool.label == "writes T" and paired.reference.label == "writes R"


def test_each_pair_gives_its_own_cpu_ratio(tmp_path: Path) -> None:
    busy = "import sys; sum(range(3_000_000)); open(sys.argv[1], 'a').write('B')"
    log = tmp_path / "order.txt"
    heavy = Command("busy", (sys.executable, "-c", busy, str(log)))
    paired = compare(heavy, logging(log, "R"), tmp_path, 2)
    assert log.read_text() == "BR" * 3
    # the busy side burns far more CPU than a bare start, in every pair
    assert all(ratio > 1.0 for ratio in paired.cpu_ratios)
    assert paired.spread == (min(paired.cpu_ratios), max(paired.cpu_ratios))


def test_a_wrong_exit_code_fails_the_comparison_even_in_the_warm_up(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    with pytest.raises(BenchmarkFailed, match="writes R: exited 3, expected 0"):
        compare(logging(log, "T"), logging(log, "R", 3), tmp_path, 2)
    assert log.read_text() == "TR"  # stopped at the first failure


def test_the_expected_exit_code_is_the_one_checked(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    paired = compare(logging(log, "T", 1, expect_exit=1), logging(log, "R"), tmp_path, 1)
    assert paired.tool.runs == 1


def test_the_check_sees_every_counted_run_and_gives_the_fingerprint(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"
    seen: list[str] = []

    def check(done: Run) -> object:
        seen.append(log.read_text())
        return len(seen)

    paired = compare(logging(log, "T", check=check), logging(log, "R"), tmp_path, 2)
    assert seen == ["T", "TRT", "TRTRT"]  # the warm-up is checked too
    assert paired.tool.fingerprint == 3


def test_a_failed_check_fails_the_comparison(tmp_path: Path) -> None:
    log = tmp_path / "order.txt"

    def refuse(done: Run) -> object:
        if log.read_text().count("R") == 2:
            raise BenchmarkFailed("wrong output")
        return None

    with pytest.raises(BenchmarkFailed, match="wrong output"):
        compare(logging(log, "T"), logging(log, "R", check=refuse), tmp_path, 3)
    assert log.read_text() == "TRTR"
