# SPDX-License-Identifier: MIT
"""Fixtures for the QEMU system tests: image checks, a fresh-QEMU factory and a test disk."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qemu import DOMUS_IMG, GUEST, Machine, make_pattern_disk  # noqa: E402

GUEST_FILES = ("vmlinuz", "Image.gz", "initrd.img")


def _require(paths, how):
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `{how}` first", pytrace=False)


@pytest.fixture(scope="session")
def guest_images():
    """The dom0 kernel and initramfs: fails (never skips) when they are not built."""
    _require([GUEST / f for f in GUEST_FILES], "make guest")
    return GUEST


@pytest.fixture(scope="session")
def domus_image(guest_images):
    """build/domus.img and the guest images: fails (never skips) when they are not built."""
    _require([DOMUS_IMG], "make")
    return DOMUS_IMG


@pytest.fixture
def boot(request):
    """Factory: boot(**Machine kwargs) starts a fresh QEMU logged to build/test-logs/<test>.log.

    Every QEMU it started is killed at teardown, whatever the test did.
    """
    machines = []

    def start(**kwargs):
        name = request.node.name + (f"-{len(machines)}" if machines else "")
        m = Machine(name, **kwargs)
        machines.append(m)
        return m.start()

    yield start
    for m in machines:
        m.close()


@pytest.fixture
def pattern_disk(tmp_path):
    """A 4 MiB raw disk image of known bytes: (path, sha256 hex digest)."""
    path = tmp_path / "pattern.img"
    return path, make_pattern_disk(path)
