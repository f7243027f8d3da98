"""The KPI benchmark of issue 8: `smo kpi report` and `smo report executive` for one month of a
year of listening.

Workspace: Acme's smo.yaml and kpis.yaml (twelve KPIs: every family of built-in metric and two
manual ones), six saved queries (brand, product, person, campaign, a competitor, other), and a
generated database of 1,000,000 mentions spread over the 12 months to November 2026 (one or two
matched queries each, 10% without a publication date) and 50,000 inbox items (85% answered within
0-72 hours, 80% with an SLA deadline). Rows go in through plain sqlite3 `executemany` into the
migrated database, which takes seconds, not the minutes the ORM would.

Figures: the wall-clock time of `python -m smo_cli kpi report --period 2026-10 -f json` and of
`python -m smo_cli report executive --period 2026-10 --lang en` (Markdown) as fresh processes
(medians of `--runs` after one warm-up each, the commands run in turn so drift hits all alike),
and the peak memory of each (ru_maxrss of that child alone, measured by a small wrapper
process). Baselines measured in the same run: `smo --version` (the start-up every command pays)
and a bare `SELECT COUNT(*)` of October's mentions through sqlite3. Targets for each command:
at most 2 s and 300 MB (issue 8, on a 2-core machine).

    .venv/bin/python benchmarks/bench_kpi.py [--mentions 1000000] [--items 50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smo_cli.services.workspace import create_workspace

PYTHON = sys.executable
SEED = 20261127
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
PERIOD = "2026-10"
TARGET_SECONDS = 2.0
TARGET_MB = 300.0
QUERIES = (("brand", "brand"), ("product", "product"), ("ceo", "person"),
           ("winteractie", "campaign"), ("warmtewerk", "competitor"), ("misc", "other"))
SENTIMENTS = ("positive", "neutral", "neutral", "negative", None)
TYPES = ("question", "complaint", "lead", "press", "praise", "other")
DEPARTMENTS = ("sales", "marketing", "it", "hr", "administratie", None)
BATCH = 50_000
# Peak memory of one child process, measured from a wrapper so nothing else is in the figure.
WRAPPER = ("import resource, subprocess, sys; "
           "done = subprocess.run(sys.argv[1:], capture_output=True); "
           "use = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(done.returncode, use.ru_maxrss, use.ru_utime + use.ru_stime)")


def _stamp(moment: datetime) -> str:
    """A UTC instant as SQLAlchemy stores it in SQLite (so string comparisons agree)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class _Clock:
    """UTC instants as SQLAlchemy writes them in SQLite ("2026-11-02 10:00:00.000000"), from
    seconds after START; string formatting per row, not datetime arithmetic, keeps a million
    rows to a few seconds."""

    def __init__(self) -> None:
        days = (END - START).days + 4
        self.days = [(START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]

    def __call__(self, seconds: float) -> str:
        day, rest = divmod(int(seconds), 86400)
        hour, rest = divmod(rest, 3600)
        return f"{self.days[day]} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}.000000"


def _mentions(count: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    # In the order a listen run stores them (by time, give or take an hour), which keeps the
    # inserts into the time indexes local, as they are in real use.
    clock, chance = _Clock(), rng.random
    step = (END - START).total_seconds() / count
    for number in range(1, count + 1):
        seconds = max(0.0, number * step - 3600 * chance())
        yield (number, "bench", f"bench-{number:08d}", "mention", "[]", "nl",
               SENTIMENTS[int(chance() * len(SENTIMENTS))],
               None if number % 10 == 0 else clock(seconds), clock(seconds + 300), "h")


def _links(count: int, rng: random.Random) -> Iterator[tuple[int, str]]:
    names = [name for name, _ in QUERIES]
    for number in range(1, count + 1):
        for name in rng.sample(names, 2 if number % 4 == 0 else 1):
            yield number, name


def _items(count: int, mentions: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    clock, span = _Clock(), (END - START).total_seconds()
    for number in range(1, count + 1):
        created = rng.random() * span
        responded = created + rng.random() * 72 * 3600 if rng.random() < 0.85 else None
        due = created + 8 * 3600 if rng.random() < 0.8 else None
        yield (number, rng.randint(1, mentions), f"rule-{number}", rng.choice(DEPARTMENTS),
               rng.choice(TYPES), "medium", "inbox", "[]",
               "responded" if responded else "new",
               None if due is None else clock(due),
               None if responded is None else clock(responded), clock(created))


def _batches(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build(root: Path, mentions: int, items: int) -> float:
    """The workspace with its generated rows; returns the seconds the inserts took."""
    create_workspace(root, org="Acme", lang="nl", env={})
    shutil.copy(EXAMPLES / "smo.yaml", root / "smo.yaml")
    shutil.copy(EXAMPLES / "kpis.yaml", root / "kpis.yaml")
    rng = random.Random(SEED)
    started = time.perf_counter()
    connection = sqlite3.connect(root / "smo.db")
    try:
        # A throwaway database: no journal to keep, no fsync to wait for.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")
        # Indexes are dropped for the load and built again after it: one sort per index
        # instead of a million scattered inserts.
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('mention', 'mention_query')").fetchall()
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        with connection:
            connection.executemany(
                "INSERT INTO saved_query (name, \"group\", text, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(name, group, name, _stamp(START), _stamp(START)) for name, group in QUERIES])
            for batch in _batches(_mentions(mentions, rng)):
                connection.executemany(
                    "INSERT INTO mention (id, source_name, dedup_key, text, hashtags, lang, "
                    "sentiment, published_at, first_seen_at, content_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            for links in _batches(_links(mentions, rng)):
                connection.executemany("INSERT INTO mention_query (mention_id, query_name) "
                                       "VALUES (?, ?)", links)
            for batch in _batches(_items(items, mentions, rng)):
                connection.executemany(
                    "INSERT INTO assignment (id, mention_id, rule_id, department, type, "
                    "priority, delivery, tags, state, sla_due_at, responded_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        for _, sql in indexes:
            connection.execute(sql)
    finally:
        connection.close()
    return time.perf_counter() - started


def _run(command: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"{' '.join(command[1:])} exited {done.returncode}: "
                           f"{lines[-1] if lines else '(no output)'}")
    return elapsed, done.stdout


def _usage(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak memory in MB, CPU seconds) of one run of `command`."""
    _, out = _run([PYTHON, "-c", WRAPPER, *command], env)
    code, kilobytes, cpu = out.split()
    if code != "0":
        raise RuntimeError(f"{' '.join(command[1:])} exited {code}")
    return int(kilobytes) / 1024, float(cpu)      # ru_maxrss is in kilobytes on Linux


def _count_month(database: Path) -> float:
    from smo_cli.services.kpi_period import parse_period

    since, until = parse_period(PERIOD).bounds("Europe/Amsterdam")
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    try:
        connection.execute(
            "SELECT COUNT(*) FROM mention WHERE (published_at >= ? AND published_at < ?) OR "
            "(published_at IS NULL AND first_seen_at >= ? AND first_seen_at < ?)",
            (_stamp(since), _stamp(until), _stamp(since), _stamp(until))).fetchone()
    finally:
        connection.close()
    return time.perf_counter() - started


def _check_executive(out: str, volume: float) -> None:
    """The executive report states the month's mentions as the KPI report counted them."""
    if not out.startswith("# ") or f"{volume:,.0f} mentions" not in out:
        raise RuntimeError("the executive report did not show the month's mentions")


def _verdict(name: str, seconds: float, baseline: float, peak: float, cpu: float) -> str:
    verdict = "PASS" if seconds <= TARGET_SECONDS and peak <= TARGET_MB else "FAIL"
    return (f"  {name:<16} {seconds * 1000:5.0f} ms   ratio to smo --version "
            f"{seconds / baseline:5.2f}   cpu {cpu * 1000:5.0f} ms   peak memory {peak:4.0f} MB"
            f"   target <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB   {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="smo kpi report and smo report executive on "
                                                 "a generated year")
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"\nsmo kpi report and smo report executive --period {PERIOD} ({args.mentions:,} "
          f"mentions, {args.items:,} inbox items over 12 months)")
    with tempfile.TemporaryDirectory(prefix="smo-bench-kpi-") as tmp:
        root = Path(tmp) / "ws"
        try:
            seconds = build(root, args.mentions, args.items)
            print(f"  generated in {seconds:.1f} s (sqlite3 executemany)")
            env = {"SMO_WORKSPACE": str(root), "PATH": "/usr/bin:/bin", "HOME": tmp}
            smo = [PYTHON, "-m", "smo_cli"]
            commands = {"kpi report": [*smo, "kpi", "report", "--period", PERIOD, "-f", "json"],
                        "report executive": [*smo, "report", "executive", "--period", PERIOD,
                                             "--lang", "en"]}
            version = [*smo, "--version"]
            # Warm-ups, and a check of what the commands print.
            kpis = json.loads(_run(commands["kpi report"], env)[1])["kpis"]
            if len(kpis) != 12 or kpis[0]["actual"]["value"] is None:
                raise RuntimeError("the report did not measure the KPIs")
            volume = next(k for k in kpis if k["metric"] == "mention_volume")["actual"]["value"]
            _check_executive(_run(commands["report executive"], env)[1], volume)
            times: dict[str, list[float]] = {name: [] for name in commands}
            baselines = []
            for _ in range(args.runs):
                baselines.append(_run(version, env)[0])
                for name, command in commands.items():
                    times[name].append(_run(command, env)[0])
            baseline = statistics.median(baselines)
            usage = {name: _usage(command, env) for name, command in commands.items()}
            count = _count_month(root / "smo.db")
        except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError) as exc:
            print(f"  ERROR     {exc}")
            return 0
    print(f"  baselines smo --version {baseline * 1000:.0f} ms, SELECT COUNT(*) of the month "
          f"{count * 1000:.0f} ms ({volume:,.0f} mentions)")
    for name in commands:
        print(_verdict(name, statistics.median(times[name]), baseline, *usage[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
