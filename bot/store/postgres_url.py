"""A PostgreSQL URL whose password is a secret: kept, passed to asyncpg, never shown.

`postgresql://user:password@host:port/dbname` (or `postgres://`) picks the PostgreSQL store;
anything else is a SQLite file path. The password is treated like the bot's token: `repr`,
`str` and every message built from the URL show `***` in its place. Standard library only,
so the settings can read a URL without importing asyncpg.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432


def is_postgres_url(value: object) -> bool:
    """Whether `value` names a PostgreSQL database rather than a SQLite file."""
    if isinstance(value, PostgresUrl):
        return True
    return isinstance(value, str) and value.strip().lower().startswith(
        tuple(f"{scheme}://" for scheme in SCHEMES)
    )


class PostgresUrl:
    """A checked PostgreSQL URL; `secret()` is the only way to the full text."""

    __slots__ = ("_url", "database", "host", "port", "user")

    def __init__(self, url: str) -> None:
        """Parse and check `url`; ValueError (never quoting the password) if it is unusable."""
        text = url.strip()
        if not is_postgres_url(text):
            raise ValueError("a PostgreSQL URL starts with postgresql:// or postgres://")
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            raise ValueError("the URL's port is not a number from 0 to 65535") from None
        if not parts.hostname:
            raise ValueError("the URL names no host (postgresql://user:password@host/dbname)")
        database = unquote(parts.path.lstrip("/"))
        if not database or "/" in database:
            raise ValueError("the URL names no database (postgresql://user@host/dbname)")
        self._url = text
        self.host: str = parts.hostname
        self.port: int = port if port is not None else DEFAULT_PORT
        self.user: str | None = unquote(parts.username) if parts.username else None
        self.database: str = database

    def secret(self) -> str:
        """The URL as given, password included: for asyncpg only, never for a message."""
        return self._url

    @property
    def has_password(self) -> bool:
        """Whether the URL carries a password."""
        return urlsplit(self._url).password is not None

    @property
    def where(self) -> str:
        """`host:port`, for messages: what an operator needs to find the server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def masked(self) -> str:
        """The URL with `***` for the password (and the query string dropped)."""
        parts = urlsplit(self._url)
        user = parts.username or ""
        if parts.password is not None:
            user += ":***"
        netloc = f"{user}@{self.where}" if user else self.where
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def __repr__(self) -> str:
        return f"PostgresUrl({self.masked()!r})"

    def __str__(self) -> str:
        return self.masked()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostgresUrl) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)
