"""Saving a model's parameters to a file and reading them back: ``Module.save`` and ``Module.load`` call these.

The file is numpy's ``.npz`` archive, one ``name.npy`` member per entry of ``state_dict()``, so ``numpy.load``
reads it too. A path is written whole or not at all: the archive goes to a new file beside the target, created
exclusively under a name nobody can guess, which then takes the target's place (keeping its permissions).
"""

from __future__ import annotations

import os
import secrets
import stat
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:  # only for the annotations: module.py imports this file
    from .module import Module

File = str | os.PathLike[str] | BinaryIO


def save(module: Module, file: File) -> None:
    """Write ``module.state_dict()`` to ``file`` (a path, or a binary file object left open) as an ``.npz`` archive.

    A path is written through a symlink, as ``open()`` would, and whole or not at all: a save that fails or is
    interrupted leaves the file that was there. The new file keeps the old one's permissions.
    """
    arrays = module.state_dict()
    if not isinstance(file, (str, os.PathLike)):
        _write_archive(file, arrays)
        return
    target = os.path.realpath(file)
    descriptor, partial = _create_beside(target)
    try:
        with open(descriptor, "wb") as stream:
            if os.path.exists(target):  # the replacement keeps the permissions the file had
                os.chmod(partial, stat.S_IMODE(os.stat(target).st_mode))
            _write_archive(stream, arrays)
        os.replace(partial, target)
    except BaseException:
        os.remove(partial)
        raise


def load(module: Module, file: File, strict: bool = True) -> None:
    """Read parameters written by ``save`` into ``module`` (``load_state_dict`` with the file's arrays)."""
    state = {}
    with _opened(file) as stream, zipfile.ZipFile(stream) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                raise ValueError(f"load: {member!r} in {file!r} is not a numpy array (.npy)")
            with archive.open(member) as data:
                state[member[: -len(".npy")]] = np.lib.format.read_array(data, allow_pickle=False)
    module.load_state_dict(state, strict)


def _create_beside(target: str) -> tuple[int, str]:
    """A new, empty file in ``target``'s folder under a random name: (its open descriptor, its path).

    ``O_EXCL`` makes the system refuse a name that exists, a symlink planted there included, so nothing but
    this new file is ever written; mode 0o666 gives it what ``open()`` would (the umask applied).
    """
    folder, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)  # O_BINARY: no newline translation
    while True:
        partial = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.partial")
        try:
            return os.open(partial, flags, 0o666), partial
        except FileExistsError:  # taken (by chance, or planted): draw another name
            continue


def _write_archive(stream: BinaryIO, arrays: Mapping[str, np.ndarray]) -> None:
    """``arrays`` into ``stream`` as an ``.npz`` archive, member by member: np.savez takes the names as keywords,
    and some of them collide with its own."""
    with zipfile.ZipFile(stream, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


@contextmanager
def _opened(file: File) -> Iterator[Any]:
    """``file`` opened for reading if it is a path (closed after), or the file object itself (left open)."""
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as stream:
            yield stream
    else:
        yield file
