"""Generated files (PDFs, calendars) kept under EXPORTS_DIR, one file per content key.

A file is written under a temporary name and renamed into place, so a reader never sees a
half-written file, even when two workers build the same one at once. The files are shared by
every worker and host that shares the folder; nothing is kept in a process.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: Superseded files are removed once this old, so a worker still sending one finishes.
STALE_AFTER_SECONDS = 300


def cache_path(directory: Path, stem: str, key: str, suffix: str) -> Path:
    return directory / f"{stem}-{key[:32]}{suffix}"


def cached_file(
    directory: Path, stem: str, key: str, build: Callable[[], bytes], suffix: str
) -> Path:
    """The file of this key, built with ``build()`` the first time."""
    path = cache_path(directory, stem, key, suffix)
    if path.is_file():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    data = build()
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _remove_superseded(directory, stem, suffix, keep=path)
    return path


def _remove_superseded(directory: Path, stem: str, suffix: str, keep: Path) -> None:
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{32}" + re.escape(suffix))
    cutoff = time.time() - STALE_AFTER_SECONDS
    for candidate in directory.iterdir():
        if candidate == keep or not pattern.fullmatch(candidate.name):
            continue
        try:
            if candidate.stat().st_mtime < cutoff:
                candidate.unlink()
        except FileNotFoundError:
            pass  # another worker removed it first
