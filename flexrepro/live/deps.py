"""Which Debian packages a live check needs, and one line saying how to get the missing ones."""
from __future__ import annotations

import shutil

# executable -> the Debian package that ships it (Debian 12: memaslap is called memcaslap)
PACKAGES = {"nginx": "nginx-light", "ab": "apache2-utils", "memcached": "memcached",
            "memcaslap": "libmemcached-tools", "strace": "strace"}
NEEDS = {"nginx": ("nginx", "ab", "strace"), "memcached": ("memcached", "memcaslap", "strace")}


def missing(server: str) -> list[str]:
    """Debian packages whose executables are not on PATH, for one server's check."""
    return sorted({PACKAGES[exe] for exe in NEEDS[server] if shutil.which(exe) is None})


def hint(packages: list[str]) -> str:
    """The one line printed when something is missing."""
    return (f"live check needs Debian packages: {' '.join(packages)} "
            f"(as root: apt-get install {' '.join(packages)}; ./reproduce.sh live does it)")
