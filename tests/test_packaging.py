"""Composer installed from its wheel, away from the source tree, still finds what it ships:
the checkpoints in models/ and the icons in resources/, read as package data."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from composer.music.files import write_score
from composer.music.score import Note, Score

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "composer", "models", "resources")


def test_the_wheel_lists_every_package_of_the_source_tree():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    in_tree = {".".join(p.parent.relative_to(REPO).parts)
               for p in (REPO / "composer").rglob("__init__.py")}
    for package, folder in config["package-dir"].items():
        in_tree |= {".".join((package, *p.parent.relative_to(REPO / folder).parts))
                    for p in (REPO / folder).rglob("__init__.py")}
    assert in_tree <= set(config["packages"])


def _install_wheel(tmp_path: Path) -> Path:
    """Builds the wheel from a copy of the sources (no build files land in the checkout)
    and unpacks it into a folder of its own, as pip installs it."""
    source, dist, target = tmp_path / "source", tmp_path / "dist", tmp_path / "site"
    source.mkdir(parents=True)
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.resume.*"))
        else:
            shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(source),
                    "-w", str(dist)], check=True, capture_output=True)
    wheel = next(dist.glob("composer-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    return target


def _run_installed(target: Path, cwd: Path, *args: str) -> str:
    """Python without this environment's site set-up (-S), so the editable install's
    finder cannot stand in for the wheel; the dependencies come from PYTHONPATH."""
    path = ":".join([str(target), *site.getsitepackages()])
    env = {"PYTHONPATH": path, "QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd),
           "XDG_CACHE_HOME": str(cwd / "cache"), "XDG_CONFIG_HOME": str(cwd / "config")}
    done = subprocess.run([sys.executable, "-S", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_an_installed_wheel_generates_with_its_shipped_checkpoint_and_finds_its_icons(
        tmp_path):
    target = _install_wheel(tmp_path / "build")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    chords = [(72, 67, 64, 48), (74, 67, 62, 55), (76, 67, 60, 48), (74, 65, 59, 55)]
    seed = Score(voices=tuple(tuple(Note(4 * i, 4, chord[v]) for i, chord in enumerate(chords))
                              for v in range(4)), length=16)
    write_score(elsewhere / "seed.mid", seed)

    report = _run_installed(target, elsewhere, "-m", "composer", "generate", "--from-file",
                            "seed.mid", "--bars", "1", "--seed", "0", "-o", "out.mid")
    assert "with gru" in report and (elsewhere / "out.mid").stat().st_size > 0
    found = _run_installed(target, elsewhere, "-c", (
        "import composer\n"
        "from composer.ml.checkpoint import resolve\n"
        "from composer.gui.icons import RESOURCES\n"
        "print(composer.__file__, resolve('gru'), RESOURCES / 'icons' / 'composer.svg')"))
    files = [Path(p) for p in found.split()]
    assert all(p.is_file() and p.is_relative_to(target) for p in files), files
