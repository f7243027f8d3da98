"""Start-up benchmarks for `smo`, each measured against the import it cannot avoid.

Every figure is the median wall-clock time of a fresh subprocess (after warm-up runs), with the
command and its baseline run alternately so that drift on the machine affects both alike. The
script reports PASS/FAIL per benchmark and always exits 0: it informs, it does not gate.

    .venv/bin/python benchmarks/run.py [--runs 15] [--warmups 2] [--accounts 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PYTHON = sys.executable  # the same interpreter runs smo and the baselines
TIMEOUT_SECONDS = 300
TARGET_RATIO = 1.3


class BenchError(Exception):
    """A benchmark could not be measured (the command failed or printed the wrong thing)."""


@dataclass(frozen=True)
class Benchmark:
    name: str
    command: list[str]
    baseline_name: str
    baseline: list[str]
    env: dict[str, str]
    check: Callable[[str], None] | None = None  # validates the command's stdout once
    target: float = TARGET_RATIO


@dataclass(frozen=True)
class Result:
    figure_ms: float
    baseline_ms: float

    @property
    def ratio(self) -> float:
        return self.figure_ms / self.baseline_ms


def _run_once(command: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                               timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()
        last = lines[-1] if lines else "(no output)"
        shown = ' '.join(['python', *command[1:]])
        raise BenchError(f"`{shown}` exited {completed.returncode}: {last}")
    return elapsed_ms, completed.stdout


def measure(bench: Benchmark, *, runs: int, warmups: int) -> Result:
    _, stdout = _run_once(bench.command, bench.env)
    if bench.check is not None:
        bench.check(stdout)
    for _ in range(warmups):
        _run_once(bench.baseline, bench.env)
        _run_once(bench.command, bench.env)
    figures: list[float] = []
    baselines: list[float] = []
    for _ in range(runs):
        baselines.append(_run_once(bench.baseline, bench.env)[0])
        figures.append(_run_once(bench.command, bench.env)[0])
    return Result(statistics.median(figures), statistics.median(baselines))


# --- the 10,000-account workspace -----------------------------------------------------------

def build_workspace(root: Path, accounts: int) -> None:
    """A fresh workspace with `accounts` Account rows, inserted in one Core executemany."""
    from sqlmodel import SQLModel

    from smo_cli.db.models import load_all

    load_all()
    from smo_cli.db.engine import make_engine
    from smo_cli.db.models import AccountKind, Platform
    from smo_cli.services.workspace import create_workspace

    workspace = create_workspace(root, org="Bench", lang="en", env={})
    platforms = list(Platform)
    kinds = list(AccountKind)
    departments = ["sales", "support", "hr", "marketing", "it"]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for i in range(accounts):
        platform = platforms[i % len(platforms)]
        if i % 10 == 0:
            owner = "company"
        elif i % 10 < 4:
            owner = f"dept:{departments[i % len(departments)]}"
        else:
            owner = f"person{i % 997}@bench.example"
        stamp = start + timedelta(minutes=i)
        rows.append({
            "platform": platform.value,
            "handle": f"@bench{i:05d}",  # unique per platform, so (platform, handle) is unique
            "url": f"https://{platform.value}.example/bench{i:05d}",
            "owner": owner,
            "kind": kinds[i % len(kinds)].value,
            "custodian": f"officer{i % 7}@bench.example" if i % 3 else None,
            "two_factor": (True, False, None)[i % 3],
            "added_at": stamp,
            "updated_at": stamp,
        })
    engine = make_engine(workspace.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(SQLModel.metadata.tables["account"].insert(), rows)
    finally:
        engine.dispose()


def _expect_help(stdout: str) -> None:
    if "inventory" not in stdout:
        raise BenchError("smo --help did not list the command groups")


def _expect_accounts(count: int) -> Callable[[str], None]:
    def check(stdout: str) -> None:
        try:
            listed = json.loads(stdout)
        except json.JSONDecodeError as exc:
            raise BenchError(f"inventory list did not print JSON: {exc}") from None
        if not isinstance(listed, list) or len(listed) != count:
            found = len(listed) if isinstance(listed, list) else type(listed).__name__
            raise BenchError(f"inventory list printed {found} accounts, expected {count}")

    return check


# --- report ---------------------------------------------------------------------------------

def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SMO_") and k not in {"PYTHONSTARTUP", "PYTHONPROFILEIMPORTTIME"}}
    env.update(extra)
    return env


def _report(bench: Benchmark, outcome: Result | BenchError) -> None:
    print(f"\n{bench.name}")
    print(f"  command:  {' '.join(['python', *bench.command[1:]])}")
    print(f"  baseline: {bench.baseline_name}")
    if isinstance(outcome, BenchError):
        print(f"  ERROR     {outcome}")
        return
    verdict = "PASS" if outcome.ratio <= bench.target else "FAIL"
    print(f"  figure {outcome.figure_ms:7.1f} ms   baseline {outcome.baseline_ms:7.1f} ms   "
          f"ratio {outcome.ratio:5.2f}   target <= {bench.target:.2f}   {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--warmups", type=int, default=2, help="untimed runs per command first")
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts in the workspace")
    args = parser.parse_args(argv)

    print(f"smo benchmarks: median of {args.runs} runs after {args.warmups} warm-ups, "
          f"each a fresh process of {PYTHON} (Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="smo-bench-") as tmp:
        root = Path(tmp) / "ws"
        benches = [
            Benchmark(
                name="smo --help",
                command=[PYTHON, "-m", "smo_cli", "--help"],
                baseline_name='python -c "import typer"',
                baseline=[PYTHON, "-c", "import typer"],
                env=_clean_env(),
                check=_expect_help,
            ),
            Benchmark(
                name=f"smo inventory list -f json ({args.accounts:,} accounts)",
                command=[PYTHON, "-m", "smo_cli", "inventory", "list", "-f", "json"],
                baseline_name='python -c "import sqlmodel"',
                baseline=[PYTHON, "-c", "import sqlmodel"],
                env=_clean_env(SMO_WORKSPACE=str(root)),
                check=_expect_accounts(args.accounts),
            ),
        ]
        workspace_error: BenchError | None = None
        try:
            build_workspace(root, args.accounts)
        except Exception as exc:  # reported; the other benchmark still runs
            workspace_error = BenchError(f"building the workspace failed: {exc!r}")
        for bench in benches:
            outcome: Result | BenchError
            if workspace_error is not None and "SMO_WORKSPACE" in bench.env:
                outcome = workspace_error
            else:
                try:
                    outcome = measure(bench, runs=args.runs, warmups=args.warmups)
                except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
                    outcome = exc if isinstance(exc, BenchError) else BenchError(repr(exc))
            _report(bench, outcome)
    # Listening: 1,000 queries over 100,000 mentions against one regex per query.
    import bench_queries

    bench_queries.main([])
    # Listening: 200 feeds concurrently, the same answering 304, and the ingest rate.
    import bench_listening

    bench_listening.main([])
    # Routing: 20,000 stored mentions through 50 rules, against storing them.
    import bench_routing

    bench_routing.main([])
    # KPIs and reports: `smo kpi report` and `smo report executive` on a year of 1,000,000
    # mentions and 50,000 inbox items.
    import bench_kpi

    bench_kpi.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
