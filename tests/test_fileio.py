"""Output files: atomic, mode 0600, never through a symlink, never over a file without force."""

from __future__ import annotations

import os
import stat

import pytest

from sentinel_tui.fileio import FileError, read_policy_file, write_private


def test_write_is_0600_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "out.sig"
    write_private(target, b"data")
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["out.sig"]


def test_existing_file_is_kept_without_overwrite(tmp_path):
    target = tmp_path / "out.sig"
    target.write_bytes(b"precious")
    with pytest.raises(FileError) as err:
        write_private(target, b"new")
    assert "--force" in err.value.fix and target.read_bytes() == b"precious"
    write_private(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_symlink_is_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"do not touch")
    link = tmp_path / "link.sig"
    link.symlink_to(victim)
    with pytest.raises(FileError):
        write_private(link, b"evil", overwrite=True)
    assert victim.read_bytes() == b"do not touch" and link.is_symlink()


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.sig"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        write_private(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["out.sig"]


def test_read_policy_file_refuses_a_huge_file(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: b\n" * 300_000)
    with pytest.raises(FileError) as err:
        read_policy_file(big)
    assert "too large" in err.value.what
