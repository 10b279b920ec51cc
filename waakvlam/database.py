"""Where the database is: the configured server, or an embedded one.

With no DATABASE_URL the service starts a private PostgreSQL from the
`pgserver` package in a local data directory, so a fresh machine needs no
server. Every process that asks for the same directory shares one server.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from waakvlam.settings import Settings

_embedded: dict[Path, Any] = {}


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `data_dir`; return its URL."""
    import logging
    import warnings

    # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (a root shell, CI) and falls back to /tmp,
    # which is fine here; and pgserver logs every pg_ctl call's output at INFO. Neither is for the user.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    import pgserver  # imported late: deployments with DATABASE_URL never need it

    data_dir = data_dir.resolve()
    if data_dir not in _embedded:
        data_dir.mkdir(parents=True, exist_ok=True)
        _forget_dead_users(data_dir / "pg")
        _embedded[data_dir] = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    return _embedded[data_dir].get_uri()


def embedded_with_connections(data_dir: Path, wanted: int) -> str:
    """The embedded PostgreSQL, with at least `wanted` connections: a server made with fewer (PostgreSQL's
    default is 100) is told the new number and started again, which is the only way max_connections changes."""
    import psycopg

    url = embedded_url(data_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        most = int(conn.execute("SHOW max_connections").fetchone()[0])
        if most >= wanted:
            return url
        conn.execute(f"ALTER SYSTEM SET max_connections = {int(wanted)}")
    _embedded.pop(data_dir.resolve()).cleanup()  # stops it: the next start reads the new setting
    return embedded_url(data_dir)


def database_url(settings: Settings) -> str:
    return settings.database_url or embedded_url(settings.data_dir)


def eventsourcing_env(settings: Settings, url: str | None = None) -> dict[str, str]:
    """The environment the `eventsourcing` library reads its PostgreSQL settings from."""
    params = conninfo_to_dict(url or database_url(settings))
    return {
        "PERSISTENCE_MODULE": "waakvlam.pool:SharedPoolFactory",  # one pool per process (waakvlam/pool.py)
        "APPLICATION_RECORDER_TOPIC": "waakvlam.store:IdempotentRecorder",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "localhost"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or os.environ.get("USER", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_SCHEMA": settings.postgres_schema,
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",  # the pool's size is the process's budget: it never grows past it
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        "POSTGRES_PRE_PING": "n",
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "WAAKVLAM_KEK": kek(settings),
    }


def kek(settings: Settings) -> str:
    """The key-encryption key: WAAKVLAM_KEK, or for the embedded database (one machine) and the demo, a key
    kept in the data directory. A deployment on a database server must set it: API and workers on other
    machines would each make their own key and could not read each other's data."""
    if settings.kek:
        return settings.kek.get_secret_value()
    if settings.database_url and not settings.demo and not is_embedded(settings):
        raise RuntimeError("WAAKVLAM_KEK is not set: with DATABASE_URL every process must use the same "
                           "key-encryption key (base64 of 32 random bytes, from a secret store; see README)")
    return local_kek(settings.data_dir)


def is_embedded(settings: Settings) -> bool:
    """Whether the database is the embedded one of the data directory (`waakvlam run` hands its URL to its
    processes as DATABASE_URL): one machine, so the data directory's own key is shared by all of them."""
    if not settings.database_url:
        return True
    host = conninfo_to_dict(settings.database_url).get("host")
    return host == str(settings.data_dir.resolve() / "pg")


def local_kek(data_dir: Path) -> str:
    """The data directory's own key-encryption key (made once, readable by this user only), for when
    WAAKVLAM_KEK is not set: the embedded/demo mode. Every process using the directory shares it."""
    return local_secret(data_dir, "kek")


def local_secret(data_dir: Path, name: str) -> str:
    """A secret of 32 random bytes (base64) kept in the data directory as `name`: made once by whichever process
    comes first, readable by this user only, shared by every process using the directory."""
    path = data_dir.resolve() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as file:
                file.write(base64.b64encode(os.urandom(32)).decode())
    for _ in range(50):  # the other process may still be writing it
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def _forget_dead_users(pgdata: Path) -> None:
    """pgserver stops the server when its last user exits, counting users in a
    file; a user that was killed stays in it and would keep the server up."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        return
    handles.write_text(json.dumps([pid for pid in pids if _alive(pid)]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
