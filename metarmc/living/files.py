"""Writes that never lose data: a whole file replaced atomically, or a new file that never overwrites.

Both write a temporary file in the target's own folder (so the final step is a rename within
one file system), flush and ``fsync`` it, then either rename it over the target
(:func:`replace_atomic`) or hard-link it to a name that must not exist yet (:func:`write_new`).
A failure at any point leaves the target as it was and removes the temporary file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["ConcurrentChange", "digest", "replace_atomic", "write_new"]


class ConcurrentChange(RuntimeError):
    """The target changed between reading it and replacing it; nothing was written."""


def digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None if it does not exist."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _temporary(path: Path, text: str) -> Path:
    """``text`` written and fsynced to a new temporary file next to ``path``."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def replace_atomic(path: str | Path, text: str, *, expected: str | None = None) -> None:
    """Replace ``path`` by ``text`` in one step: readers see the old file or the new one, never a part.

    Parameters
    ----------
    path : str or Path
        The file to write (it may not exist yet).
    text : str
        Its new content (UTF-8, written as is: no newline translation).
    expected : str, optional
        The :func:`digest` the file had when it was read; if it has changed since, nothing is
        written and :class:`ConcurrentChange` is raised.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> replace_atomic(target, "a,b\\n")
    >>> replace_atomic(target, "a,b\\n1,2\\n", expected=digest(target))
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    path = Path(path)
    temporary = _temporary(path, text)
    try:
        if expected is not None and digest(path) != expected:
            raise ConcurrentChange(f"{path} changed while it was being updated; nothing written, run again")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def write_new(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path``, which must not exist; an existing file is never overwritten.

    Raises
    ------
    FileExistsError
        If ``path`` exists (checked atomically by the hard link that puts the file in place).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists and is never overwritten")
    temporary = _temporary(path, text)
    try:
        os.link(temporary, path)
    except FileExistsError as error:
        raise FileExistsError(f"{path} exists and is never overwritten") from error
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)
