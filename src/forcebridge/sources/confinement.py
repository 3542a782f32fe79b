"""What a granted source may reach: a file inside its root, a database that is not the store.

Pure rules, checked when an integration is saved and again each time a source is opened (a
symlink or a source's URL may change in between). A path is resolved (`..` and symlinks
followed) before it is compared with its root; two database URLs name the same database when
they reach the same file (SQLite) or the same host, port and database (PostgreSQL), whatever
their spelling.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

BACKENDS = ("sqlite", "postgresql")
"""The databases whose reads forcebridge can confine to read-only transactions."""


class Refused(ValueError):
    """The reason a path or a database is out of reach, for the caller to name its field."""


def inside(root: str | Path, relative: str) -> Path:
    """`relative` resolved inside `root`; `Refused` when absolute or when it leaves the root."""
    text = relative.strip()
    if not text:
        raise Refused("is required: a file inside the data source's root")
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() \
            or PureWindowsPath(text).drive or text.startswith("~"):
        raise Refused(f"{relative!r} is absolute: give a path relative to the data source's root")
    base = Path(root).resolve()
    full = (base / text).resolve()
    if not full.is_relative_to(base):
        raise Refused(f"{relative!r} leads outside the data source's root (after following "
                      "'..' and symlinks)")
    return full


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths are one file: same inode when both exist, same real path otherwise."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise Refused("is not a valid SQLAlchemy URL") from None


def _sqlite_file(url: URL) -> str | None:
    db = url.database or ""
    if db.startswith("file:"):
        db = db.removeprefix("file:").partition("?")[0]
    return None if db in ("", ":memory:") else db


def _host(url: URL) -> str:
    host = url.host or str(url.query.get("host") or "")
    if not host or host.startswith("/"):
        return "local"  # a Unix socket is this machine
    return host.lower().strip("[]")


def _addresses(host: str) -> set[str]:
    """The addresses a host name stands for; loopback and this machine's names are 'local'."""
    if host in ("local", "localhost"):
        return {"local"}
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return {"local"} if literal.is_loopback or literal.is_unspecified else {str(literal)}
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(host, None):
            address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
            found.add("local" if address.is_loopback else str(address))
    except (OSError, UnicodeError, ValueError):
        return {host}
    if host in (socket.gethostname().lower(), socket.getfqdn().lower()):
        found.add("local")
    return found or {host}


def _postgres_place(url: URL) -> tuple[set[str], int, str]:
    port = url.port or int(str(url.query.get("port") or 5432))
    database = url.database or str(url.query.get("dbname") or "") or (url.username or "")
    return _addresses(_host(url)), port, database


def same_database(a: str, b: str) -> bool:
    """Whether URLs `a` and `b` reach the same database (unparseable URLs never match)."""
    try:
        first, second = make_url(a), make_url(b)
    except ArgumentError:
        return False
    backend = first.get_backend_name()
    if backend != second.get_backend_name():
        return False
    if backend == "sqlite":
        one, two = _sqlite_file(first), _sqlite_file(second)
        return one is not None and two is not None and same_file(one, two)
    if backend == "postgresql":
        hosts, port, database = _postgres_place(first)
        other_hosts, other_port, other_database = _postgres_place(second)
        return bool(hosts & other_hosts) and port == other_port and database == other_database
    return first.set(password=None) == second.set(password=None)


def readable_database(url: str, store_url: str) -> URL:
    """`url` parsed, when forcebridge can confine it and it is not the store itself."""
    parsed = parse(url)
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise Refused(f"{backend} is not supported: reads are confined to read-only "
                      f"transactions on {' and '.join(BACKENDS)} only")
    if same_database(url, store_url):
        raise Refused("is forcebridge's own database, which is never a data source")
    return parsed


def table_allowed(table: str, allowed: Sequence[str]) -> bool:
    """Whether `table` (`name` or `schema.name`) is among `allowed` (`schema.*` admits a
    schema); an empty list admits every table."""
    if not allowed:
        return True
    schema, _, name = table.lower().rpartition(".")
    for entry in (a.lower() for a in allowed):
        entry_schema, _, entry_name = entry.rpartition(".")
        if entry_name == "*" and schema == entry_schema:
            return True
        if entry_name == name and entry_schema == schema:
            return True
    return False


def forbidden_file(path: Path, forbidden: Iterable[str | Path]) -> bool:
    """Whether `path` is one of the server's own files (the store, its key)."""
    return any(same_file(path, f) for f in forbidden)
