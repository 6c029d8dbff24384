"""The one place that builds the ledger's engine and sessions, and migrates the schema."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from officeflow.settings import get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(get_settings().sqlite_busy_timeout_s * 1000)}")
    cur.close()


_SQLITE_WRITERS = threading.RLock()  # one writing session at a time per process (SQLite)

READONLY = "officeflow_readonly"  # execution option of the engine `read_scope` uses


def _sqlite_begin_immediate(conn: Any) -> None:
    # A read-only session begins deferred: in WAL mode it reads its snapshot at once, without
    # waiting for a writer that holds the lock. Every other session begins IMMEDIATE.
    if conn.get_execution_options().get(READONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_lock_timeout(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" (the busy timeout ran out waiting for a writer)."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    return type(orig).__name__ == "OperationalError" and (
        "database is locked" in text or "database table is locked" in text
    )


def lock_timeout_message() -> str:
    """The one-line error a user sees when the SQLite ledger stayed locked too long."""
    timeout = get_settings().sqlite_busy_timeout_s
    return (
        f"the ledger is locked: another officeflow command, sweep or worker held its write "
        f"lock for longer than the busy timeout ({timeout:g} s, "
        f"OFFICEFLOW_SQLITE_BUSY_TIMEOUT_S); try again in a moment"
    )


def _create_private(path: Path) -> None:
    """Create the SQLite file owner-only (0600, in a 0700 folder when the folder is new): the
    ledger holds names, phone numbers and every notice. SQLite gives its -wal and -shm files
    the database file's mode. An existing file keeps its mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and pick psycopg 3 for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    url = normalise_url(url)
    if url not in _engines:
        _engines[url] = _build_engine(url)
        event.listen(_engines[url], "before_cursor_execute", _refuse_nul)
    return _engines[url]


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, context: Any, _many: bool
) -> None:
    """The last guard of text bound for the ledger: a NUL character, which PostgreSQL cannot
    store and SQLite can, is refused alike on both, naming the column it was meant for. Inputs
    refuse it first (``StrictInput``, ``events.record``, ``--as``)."""
    from models.common import NUL_MESSAGE, has_nul
    from officeflow.inputs import input_error

    rows = parameters if isinstance(parameters, list) else [parameters]
    for row in rows:
        items = row.items() if isinstance(row, dict) else enumerate(row or ())
        for name, value in items:
            if has_nul(value):
                if isinstance(name, int):
                    names = getattr(getattr(context, "compiled", None), "positiontup", None)
                    name = names[name] if names and name < len(names) else "a text value"
                raise input_error(re.sub(r"_\d+$", "", str(name)), NUL_MESSAGE)


def _build_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            _create_private(Path(database))
        # pysqlite's own transaction handling is switched off (isolation_level=None) so that every
        # transaction starts with BEGIN IMMEDIATE: a writer takes the write lock up front and
        # waits for it (busy_timeout) instead of failing with SQLITE_BUSY when it upgrades a
        # read snapshot that another writer has moved past. Two sweeps at once then serialise.
        engine = create_engine(
            url,
            connect_args={"timeout": get_settings().sqlite_busy_timeout_s, "isolation_level": None},
            pool_size=10,
            max_overflow=30,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def dispose_engines() -> None:
    while _engines:
        _engines.popitem()[1].dispose()


# The ledger's sessions hold the objects they load until they close (SQLAlchemy's recipe
# "strong reference session"): a session's identity map only holds weak references, so an
# office action that looks the same person, assignment or decision up several times (the
# permission check, the event's actor check, the notice's context) would otherwise load it
# again each time. Sessions are one command, one flow task or one web request long.
_LedgerSession = sessionmaker(expire_on_commit=False)


@event.listens_for(_LedgerSession, "pending_to_persistent")
@event.listens_for(_LedgerSession, "deleted_to_persistent")
@event.listens_for(_LedgerSession, "detached_to_persistent")
@event.listens_for(_LedgerSession, "loaded_as_persistent")
def _hold(session: Session, instance: Any) -> None:
    session.info.setdefault("held", set()).add(instance)


@event.listens_for(_LedgerSession, "persistent_to_detached")
@event.listens_for(_LedgerSession, "persistent_to_deleted")
@event.listens_for(_LedgerSession, "persistent_to_transient")
def _release(session: Session, instance: Any) -> None:
    session.info.get("held", set()).discard(instance)


@contextmanager
def session_scope(engine: Engine | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    ``readonly=True`` (or `read_scope`) is for sessions that only read: on SQLite they begin
    deferred and so never wait for a writer; every other session begins IMMEDIATE."""
    bind = engine or get_engine()
    if readonly:
        bind = bind.execution_options(**{READONLY: True})
    # SQLite has one writer at a time, and its busy handler polls without any fairness: with
    # many threads of one process writing at once (the web pages under load) a waiter can miss
    # the lock for longer than the busy timeout. Writers of one process queue here instead.
    # After the busy timeout it goes ahead anyway, and SQLite's own timeout gives the usual
    # clear "the ledger is locked" error.
    serial = not readonly and bind.dialect.name == "sqlite"
    queued = serial and _SQLITE_WRITERS.acquire(timeout=get_settings().sqlite_busy_timeout_s)
    try:
        with _LedgerSession(bind=bind) as session, session.begin():
            yield session
    finally:
        if queued:
            _SQLITE_WRITERS.release()


def read_scope(engine: Engine | None = None) -> AbstractContextManager[Session]:
    """A read-only `session_scope`: what views and listings use."""
    return session_scope(engine, readonly=True)


def insert_ignore(engine_or_session: Engine | Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the dialect in use."""
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing()
    if bind.dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"the ledger supports SQLite and PostgreSQL, not {bind.dialect.name}")


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or get_settings().database_url))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Create or migrate the ledger. Safe to run again; run it once per release in production."""
    from alembic import command

    url = url or get_settings().database_url
    cfg = alembic_config(url)
    with engine_for(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def new_revision(
    message: str, rev_id: str, *, after: str, version_path: Path | None = None
) -> Path:
    """Write the migration of tables added to ``models/`` since the newest revisions: a scratch
    SQLite ledger is upgraded to every head and compared with the models (autogenerate). The
    revision branches from ``after`` (the revision whose tables it refers to, e.g.
    ``0001_foundation`` for the org), as each process's migration does. Review the file."""
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory(prefix="officeflow-revision-") as scratch:
        url = f"sqlite:///{scratch}/ledger.db"
        upgrade(url)
        cfg = alembic_config(url)
        if version_path is not None:  # elsewhere than the shipped versions folder (tests)
            shipped = Path(MIGRATIONS) / "versions"
            cfg.set_main_option("version_path_separator", "os")
            cfg.set_main_option(
                "version_locations", os.pathsep.join([str(shipped), str(version_path)])
            )
        try:
            with engine_for(url).begin() as connection:
                cfg.attributes["connection"] = connection
                script = command.revision(
                    cfg,
                    message=message,
                    autogenerate=True,
                    rev_id=rev_id,
                    head=after,
                    splice=True,
                    version_path=str(version_path) if version_path else None,
                )
        finally:
            dispose_engines()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def current_revisions(url: str | None = None) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    engine = engine_for(url or get_settings().database_url)
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
