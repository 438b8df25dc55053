"""Secrets the service must read back (the alliances' webhook signing secrets), sealed with a key kept out of the
database, so that a copy of the database alone does not reveal them.

The key is FOERDERWEG_SECRET_KEY, a Fernet key (AES-128-CBC with HMAC-SHA256, from the `cryptography` package):
    python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'
Without it (the demo, development, tests) the key lives in a file made on first use with mode 0600: beside a SQLite
database (`foerderweg.db.key` for `foerderweg.db`), else `data/foerderweg-secret.key` under the working directory.
A warning says so; installations set the variable, and every instance of one installation the same key.

Stored values are marked: `fernet:<token>` is sealed, anything else is a secret written before sealing existed.
At start (`Context.publish_procedures`) `SecretBox.prepare` seals those and checks that the key opens every sealed
one: started without the key they were sealed with, the service stops with a clear error instead of failing each
delivery.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from workflow.errors import DomainError
from workflow.persistence.db import Database, is_sqlite, sqlite_file
from workflow.proposals.store import ALLIANCES
from workflow.settings import MAKE_A_KEY, check_key
from workflow.settings import SECRET_KEY_ENV as KEY_ENV

log = logging.getLogger(__name__)

SEALED = "fernet:"
FALLBACK_KEY_FILE = Path("data") / "foerderweg-secret.key"
_ALLIANCES = ALLIANCES


class SecretKeyError(DomainError):
    """The key is missing, unreadable, or not the one the stored secrets were sealed with."""

    title = "Secret key"


def key_file_for(database_url: str) -> Path:
    """Where the key lives when FOERDERWEG_SECRET_KEY is not set."""
    database = sqlite_file(database_url)
    return FALLBACK_KEY_FILE if database is None else database.with_name(database.name + ".key")


class SecretBox:
    """Seals and opens secrets with one key, loaded (or, for the key file, made) on first use."""

    def __init__(self, key: SecretStr | None, key_file: Path) -> None:
        self._key = key
        self.key_file = key_file
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_database(cls, database_url: str, key: SecretStr | None) -> SecretBox:
        return cls(key, key_file_for(database_url))

    @property
    def source(self) -> str:
        return KEY_ENV if self._key is not None else f"the key file {self.key_file}"

    def has_key(self) -> bool:
        return self._key is not None or self.key_file.exists()

    def seal(self, secret: str) -> str:
        return SEALED + self._cipher().encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        """The secret of a stored value; a value without the mark is one stored before sealing, used as it is."""
        if not stored.startswith(SEALED):
            return stored
        try:
            return self._cipher(make=False).decrypt(stored[len(SEALED):].encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(f"a stored secret cannot be opened with {self.source}: it was sealed with another "
                                 f"key (set {KEY_ENV} to that key, or set the webhook again)") from None

    def prepare(self, db: Database) -> tuple[int, int]:
        """At start: seal the secrets stored in clear, check that the key opens the sealed ones.

        Returns (sealed now, sealed before). Raises SecretKeyError if there are sealed secrets and no key, or a
        key that does not open them (no key file is made then: a new key could open nothing), and on PostgreSQL
        without FOERDERWEG_SECRET_KEY (instances on several machines need one key).
        """
        if self._key is None and not is_sqlite(db.url):
            raise SecretKeyError(f"{KEY_ENV} must be set when the database is not SQLite: every instance "
                                 f"seals and opens the webhook secrets with the same key, which a key file made on "
                                 f"one machine is not (make a key with: {MAKE_A_KEY})")
        with db.read() as session:
            rows = session.execute(sa.select(_ALLIANCES.c.id, _ALLIANCES.c.webhook_secret)
                                   .where(_ALLIANCES.c.webhook_secret.is_not(None))).all()
        sealed = [row for row in rows if row.webhook_secret.startswith(SEALED)]
        clear = [row for row in rows if not row.webhook_secret.startswith(SEALED)]
        if sealed and not self.has_key():
            raise SecretKeyError(f"{len(sealed)} webhook secret(s) in the database are sealed, but no key is set: "
                                 f"set {KEY_ENV} to the key they were sealed with ({self.key_file} does not exist)")
        try:
            for row in sealed:
                self.open(row.webhook_secret)
        except SecretKeyError as error:
            if self._key is not None and self.key_file.exists():
                raise SecretKeyError(f"{error.detail}; {self.key_file} holds the key made when {KEY_ENV} was not "
                                     "set: if the secrets were sealed before it was, that is their key") from None
            raise
        if clear:
            with db.write() as session:
                for row in clear:
                    session.execute(sa.update(_ALLIANCES).where(_ALLIANCES.c.id == row.id,
                                                                _ALLIANCES.c.webhook_secret == row.webhook_secret)
                                    .values(webhook_secret=self.seal(row.webhook_secret)))
            log.info("sealed %d webhook secret(s) stored in clear with %s", len(clear), self.source)
        return len(clear), len(sealed)

    def _cipher(self, *, make: bool = True) -> Fernet:
        """The key's cipher; the key file is made only to seal (a new key opens nothing sealed before)."""
        with self._lock:
            if self._fernet is None:
                if self._key is not None:
                    self._fernet = Fernet(self._key.get_secret_value().strip().encode())
                elif make or self.key_file.exists():
                    self._fernet = Fernet(_key_from_file(self.key_file))
                else:
                    raise SecretKeyError(f"a stored secret is sealed, but no key is set: set {KEY_ENV} to the key "
                                         f"it was sealed with ({self.key_file} does not exist)")
            return self._fernet


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        _make_key_file(path)
    try:
        key = path.read_bytes().strip()
        check_key(key.decode("ascii"))
    except (OSError, ValueError, UnicodeError) as exc:
        raise SecretKeyError(f"the key file {path} cannot be used ({type(exc).__name__}); set {KEY_ENV} instead "
                             "or remove the file if no secret was sealed with it") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("the key file %s can be read by other users than its owner: chmod 600 it", path)
    return key


def _make_key_file(path: Path) -> None:
    """Write a new key readable by its owner only; of processes racing to do so, the first one's key wins."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)  # appears whole or not at all; an existing one (another process's) is kept
        except FileExistsError:
            return
        finally:
            draft.unlink()
    except OSError as exc:
        raise SecretKeyError(f"{KEY_ENV} is not set and the key file {path} cannot be made ({exc.strerror}); "
                             f"set {KEY_ENV} (make a key with: {MAKE_A_KEY})") from None
    log.warning("%s is not set: made a key for the webhook secrets in %s (mode 0600). Set %s in production "
                "(the same key on every instance) and keep the key out of the database's backups.",
                KEY_ENV, path, KEY_ENV)
