"""The file-system steps under DIR that make a submission durable and never half visible:
writes fsynced before they count, renames (atomic) fsynced in their folder, and the lock that
lets only the first Store on DIR clear what a killed one left. No user text: callers say what
failed (store.StoreError)."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

DATA = "data"  # the upload's bytes inside its temp folder
OUTPUTS = "outputs"  # its outputs inside its temp folder, and DIR's folder of them


def make_secret(path: Path, size: int, temp_dir: Path) -> bytes:
    """`path`'s bytes, made once from `size` random bytes (mode 0600), the same ever after.

    Written in full beside it first, then linked in: a kill never leaves a short secret, and of
    two openers racing the first one's is kept."""
    if not path.exists():
        temp = temp_dir / f"secret-{secrets.token_hex(8)}"
        write_synced(temp, secrets.token_bytes(size))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
        fsync_dir(path.parent)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_bytes()


def write_synced(path: Path, data: bytes) -> None:
    """A new file (never an existing one), private, on disk when this returns."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def move_into_place(temp: Path, target: Path, outputs: Path, when: float) -> None:
    """Rename a staged upload (mtime = received time: batch orders resubmissions by it) and its
    outputs into place, fsyncing each folder; a part already moved is left as it is, so this also
    finishes what a kill interrupted."""
    data = temp / DATA
    if data.exists():
        make_folder(target.parent)
        _stamp(data, when)
        os.replace(data, target)
        fsync_dir(target.parent)
    if (temp / OUTPUTS).exists() and not outputs.exists():
        os.replace(temp / OUTPUTS, outputs)
        fsync_dir(outputs.parent)
    shutil.rmtree(temp, ignore_errors=True)


def make_folder(path: Path) -> None:
    """A folder that exists on disk after a crash too: its parent is fsynced when it is new."""
    try:
        path.mkdir()
    except FileExistsError:
        if not path.is_dir():
            raise
        return
    fsync_dir(path.parent)


def _stamp(path: Path, when: float) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.utime(fd if os.utime in os.supports_fd else path, (when, when))
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def fsync_dir(path: Path) -> None:
    """A rename or a new entry is durable once its folder is fsynced (not possible on Windows)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- one recovering opener per DIR ----------------------------------------------------------------


def take_lock(folder: Path) -> tuple[int | None, bool]:
    """A lock on `folder`; True when no other Store holds it (so the temps in it are stale).

    The kernel drops the lock with the process, so a killed server never leaves DIR locked.
    On Windows there is no flock: one server per DIR is then the admin's care."""
    if sys.platform == "win32":
        return None, True
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, True
    except BlockingIOError:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return fd, False


def share_lock(fd: int | None) -> None:
    """After recovery: let later Stores on DIR open (without recovering) while this one lives."""
    if fd is not None and sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH)


def release_lock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
