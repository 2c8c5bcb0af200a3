"""Front-end assets from the npm registry, without Node.

``assets.lock.json`` pins each package (name, version, sha512 integrity as
published by the registry) and the files to keep. :func:`install` downloads
the tarball, checks its integrity, and extracts only those files under
``var/assets/`` (a ``STATICFILES_DIRS`` entry). An asset already present
with the pinned version is left alone, so the Makefile can call it on every
run.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
BASE_DIR = Path(__file__).resolve().parent.parent
LOCK_FILE = BASE_DIR / "assets.lock.json"


class AssetError(RuntimeError):
    pass


def assets_dir() -> Path:
    # Same place as settings.STATICFILES_DIRS: $VAR_DIR/assets.
    return Path(os.environ.get("VAR_DIR", BASE_DIR / "var")).resolve() / "assets"


def tarball_url(name: str, version: str) -> str:
    # Scoped packages (@scope/name) keep the scope in the path, not in the file name.
    short = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{short}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise AssetError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise AssetError("integrity mismatch: the downloaded tarball is not the pinned one")


def extract(data: bytes, files: dict[str, str], target: Path) -> list[Path]:
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member_name, destination in files.items():
            member = archive.getmember(member_name)
            if not member.isfile():
                raise AssetError(f"{member_name} is not a regular file")
            path = (target / destination).resolve()
            if target.resolve() not in path.parents:
                raise AssetError(f"{destination} leaves the assets folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.extractfile(member).read())
            written.append(path)
    return written


def install(lock_file: Path = LOCK_FILE, target: Path | None = None, fetch=None) -> list[str]:
    """Install missing or outdated packages; returns the names installed."""
    target = target or assets_dir()
    fetch = fetch or _download
    installed = []
    for package in json.loads(lock_file.read_text())["packages"]:
        stamp = target / ".stamps" / (package["name"].replace("/", "__") + ".json")
        if stamp.exists() and json.loads(stamp.read_text()) == package:
            continue
        data = fetch(tarball_url(package["name"], package["version"]))
        check_integrity(data, package["integrity"])
        extract(data, package["files"], target)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(package))
        installed.append(f"{package['name']}@{package['version']}")
    return installed


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https registry URL)
        return response.read()


if __name__ == "__main__":  # python -m core.assets (no Django needed)
    for name in install():
        print(f"asset installed: {name}")
