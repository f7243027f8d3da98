"""`pip install .` must give a working smo: templates and migrations travel inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_ships_templates_migrations_and_console_script(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(tmp_path), str(REPO)], check=True)
    wheel = next(tmp_path.glob("smo_cli-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in sorted((REPO / "templates").rglob("*.j2")):
        assert f"smo_cli/templates/{template.relative_to(REPO / 'templates')}" in names
    assert "smo_cli/db/migrations/env.py" in names
    assert "smo_cli/db/migrations/script.py.mako" in names
    assert "smo_cli/db/migrations/versions/0002_inventory.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "smo = smo_cli.cli.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
