"""Who we are and what we share: the hive secret, its pairing code, and a node id bound to
this machine.

The secret lives in the config folder (``hive_secret``, mode 0600): one per machine, not per
data folder, created by the machine's first node, which prints it (``ServeState.pairing_code``
is set only then; ``hive peers --pairing-code`` prints it again). It is shown to the user as a
pairing code (base32, grouped in fives) that they copy to the other machines (``--secret``,
``HIVE_SECRET`` or the ``secret`` setting). Any string works as a secret; codes are compared
after dropping dashes and spaces and upper-casing, so a code typed in lower case or without
dashes is the same secret.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import socket
import uuid
from pathlib import Path

from hive_tui.config import data_dir

log = logging.getLogger("hive.federation")

SECRET_FILE = "hive_secret"
MACHINE_FILE = "node_machine"
# 130 bits of entropy: a code an attacker cannot guess or brute-force from a captured proof.
SECRET_BYTES = 17
_KEY_LABEL = b"hive-federation-key/1\x00"


def normalize_secret(secret: str) -> str:
    return "".join(ch for ch in secret.upper() if ch not in "- \t\r\n")


def pairing_code(secret: str) -> str:
    """The secret as the user sees it: upper case, dash-separated groups of five."""
    flat = normalize_secret(secret)
    return "-".join(flat[i : i + 5] for i in range(0, len(flat), 5))


def derive_key(secret: str) -> bytes:
    """The HMAC key every proof and frame MAC is derived from."""
    flat = normalize_secret(secret)
    if not flat:
        raise ValueError("the hive secret is empty")
    return hashlib.sha256(_KEY_LABEL + flat.encode()).digest()


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def load_or_create_secret(folder: Path) -> tuple[str, bool]:
    """(secret, created): read ``folder/hive_secret`` or create it with mode 0600."""
    path = folder / SECRET_FILE
    try:
        existing = normalize_secret(path.read_text())
        if existing:
            return existing, False
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    # O_EXCL + 0600 at creation: the secret is never readable by others, not even briefly.
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(pairing_code(secret) + "\n")
    os.replace(tmp, path)
    return secret, True


def resolve_secret(configured: str, folder: Path) -> tuple[str, bool]:
    """The configured secret (flag, HIVE_SECRET, config file) or the one in the config folder."""
    if normalize_secret(configured):
        return normalize_secret(configured), False
    return load_or_create_secret(folder)


def machine_fingerprint() -> str:
    """A short hash that differs between machines (machine-id, else MAC address and hostname)."""
    raw = ""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            raw = Path(candidate).read_text().strip()
        except OSError:
            continue
        if raw:
            break
    if not raw:
        raw = f"{uuid.getnode():012x}:{socket.gethostname()}"
    return hashlib.sha256(b"hive-machine/1\x00" + raw.encode()).hexdigest()[:16]


def forget_if_copied(folder: Path, fingerprint: str | None = None) -> bool:
    """Bind the data folder's node id to this machine.

    A data folder copied from another machine (backup restore, cloned disk) would carry that
    machine's node id, and two nodes with one id cannot federate. If the folder was written on
    a different machine, its node id is removed so a fresh one is made; returns True then.
    Machines that share a machine-id (cloned VMs) are still caught at the handshake, where a
    peer presenting our own id is refused with a message saying how to fix it."""
    fingerprint = fingerprint or machine_fingerprint()
    marker = folder / MACHINE_FILE
    try:
        recorded = marker.read_text().strip()
    except FileNotFoundError:
        recorded = ""
    except OSError:
        return False
    copied = bool(recorded) and recorded != fingerprint
    if copied:
        log.warning("data folder %s was created on another machine: making a new node id", folder)
        (folder / "node_id").unlink(missing_ok=True)
    if recorded != fingerprint:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            marker.write_text(fingerprint + "\n")
        except OSError:
            pass
    return copied


LOCK_FILE = "node.lock"


class FolderClaim:
    """An advisory lock on a data folder, held while a node runs from it.

    Two nodes on one machine with one data folder share its node id, and peers cannot tell
    them apart; the second node is warned at start (it still runs: ``--data-dir`` fixes it).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.shared = False
        self._file = None
        try:
            import fcntl
        except ImportError:  # no flock on this platform: nothing to check with
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._file = open(folder / LOCK_FILE, "a+b")  # noqa: SIM115 - held until release
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.shared = True
            log.warning(
                "another hive node on this machine runs from the data folder %s, so both have "
                "one node id and peers cannot tell them apart: give each node its own folder "
                "(--data-dir DIR or HIVE_DATA_DIR)", folder,
            )
        except OSError as exc:
            log.debug("cannot lock the data folder %s: %s", folder, exc)

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None


def load_node_id(folder: Path | None = None) -> str:
    """A stable id for this node, created once in the data folder."""
    folder = folder or data_dir()
    forget_if_copied(folder)  # a data folder copied from another machine gets a new id
    path = folder / "node_id"
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    node_id = f"node-{uuid.uuid4().hex[:12]}"
    path.write_text(node_id + "\n")
    return node_id
