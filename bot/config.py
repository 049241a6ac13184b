"""Command Deck's settings: one typed object, read from the environment or `.env`, checked once.

Why one object: the bot, the command line and the tests read the same names through the same
checks, so a bad value stops the process at start with a message naming the variable, rather
than failing later in the middle of a vote. Variable names are the field names in capitals
with no prefix (`DATABASE`, `SHARD_IDS`, ...); a variable set to an empty string counts as unset.
The token is a `SecretStr`: it never shows in a repr, a log line or an error message. So is the
password of a PostgreSQL `DATABASE` URL (a `PostgresUrl`, which shows `***` in its place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.store.postgres_url import PostgresUrl, is_postgres_url

DEFAULT_ENV_FILE = Path(".env")
_MAX_SNOWFLAKE = 2**63 - 1
_SECRET_FIELDS = frozenset({"discord_token"})  # never quoted back in a message

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
SqliteSynchronous = Literal["FULL", "NORMAL"]


class SettingsError(Exception):
    """The settings are unusable; the message names each bad one (by its variable), one a line."""


class Settings(BaseSettings):
    """Everything an operator can set. Construct with keywords in tests; `load_settings` at start.

    Each field's description says what it accepts; error messages and the README's table use it.
    """

    model_config = SettingsConfigDict(
        env_file=DEFAULT_ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        arbitrary_types_allowed=True,  # PostgresUrl
    )

    discord_token: SecretStr | None = Field(
        None, description="the bot's token from the Discord developer portal (needed to run)"
    )
    database: Path | PostgresUrl = Field(
        Path("data/command-deck.db"),
        description="a path to the SQLite file (created with its folder if missing), or a"
        " PostgreSQL URL postgresql://user:password@host:port/dbname",
    )
    content_dir: Path = Field(Path("content"), description="a path to the stories folder")
    log_level: LogLevel = Field("INFO", description="one of DEBUG, INFO, WARNING, ERROR")
    dev_guild_id: int | None = Field(
        None,
        gt=0,
        le=_MAX_SNOWFLAKE,
        description="a server id (a positive whole number) whose commands sync instantly",
    )
    shard_count: int | None = Field(
        None,
        ge=1,
        description="a whole number of shards, 1 or more (unset: Discord's recommendation)",
    )
    shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        None,
        description="this process's shards, comma-separated like 0,1; each below SHARD_COUNT,"
        " which must be set",
    )
    sqlite_synchronous: SqliteSynchronous = Field(
        "FULL", description="FULL (a commit survives power loss) or NORMAL (faster)"
    )
    guild_data_days: int = Field(
        30, ge=0, le=3650, description="whole days from 0 to 3650 to keep a removed server's data"
    )
    tally_refresh_seconds: float = Field(
        3.0,
        ge=1.0,
        allow_inf_nan=False,
        description="seconds, 1.0 or more, between edits of a live tally",
    )
    max_campaigns_per_server: int = Field(
        25,
        ge=1,
        le=10_000,
        description="a whole number from 1 to 10000 of campaigns a server may run at once"
        " (paused ones count)",
    )
    ballot_batch_ms: float = Field(
        2.0,
        ge=0.0,
        le=50.0,
        allow_inf_nan=False,
        description="milliseconds from 0 to 50 to gather ballots into one commit",
    )
    backlog_concurrency: int = Field(
        4,
        ge=1,
        le=32,
        description="a whole number from 1 to 32: overdue closes shown at once after a start",
    )

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("database", mode="before")
    @classmethod
    def _postgres_url(cls, value: Any) -> Any:
        if isinstance(value, str) and is_postgres_url(value):
            return PostgresUrl(value)  # a ValueError here never quotes the password
        return value

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _any_case(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or info.field_name is None:
            return value
        allowed = get_args(Settings.model_fields[info.field_name].annotation)
        upper = value.strip().upper()
        return upper if upper in allowed else value  # a refused value is quoted as typed

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            return [part.strip() for part in value.split(",")]
        return value

    @field_validator("shard_ids", mode="after")
    @classmethod
    def _shards_fit_the_count(cls, value: list[int] | None, info: ValidationInfo) -> Any:
        if value is None:
            return None
        if not value:
            raise ValueError("no shard listed")
        if len(set(value)) != len(value):
            raise ValueError("a shard is listed twice")
        if "shard_count" not in info.data:
            return value  # SHARD_COUNT itself is bad and reported on its own line
        count = info.data["shard_count"]
        if count is None:
            raise ValueError("SHARD_COUNT must be set too")
        for shard in value:
            if not 0 <= shard < count:
                raise ValueError(f"shard {shard} is not in 0..{count - 1} (SHARD_COUNT is {count})")
        return value

    def require_token(self) -> str:
        """The token, for the one call that logs in; SettingsError when it is not set."""
        if self.discord_token is None:
            raise SettingsError(
                "DISCORD_TOKEN is not set: put the bot's token from the Discord developer portal"
                " in the environment or in .env"
            )
        return self.discord_token.get_secret_value()


def env_name(field: str) -> str:
    """The environment variable that sets a field."""
    return field.upper()


def describe_error(error: ValidationError) -> str:
    """One line per bad setting: its variable, what was wrong, and what it accepts.

    Input values are quoted only for fields that are not secret, so a token never shows.
    """
    lines: dict[str, str] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        info = Settings.model_fields.get(field)
        name = env_name(field) if field else "settings"
        if name in lines:
            continue  # one line per setting
        if item["type"] == "value_error":
            problem = str(item["ctx"]["error"])
        elif field in _SECRET_FIELDS or is_postgres_url(item.get("input")):
            problem = "not accepted"
        else:
            shown = repr(item.get("input"))
            problem = f"got {shown[:60] + '...' if len(shown) > 60 else shown}"
        accepts = info.description if info is not None else item["msg"]
        lines[name] = f"  {name}: {problem}; accepts {accepts}"
    return "\n".join(lines.values())


def load_settings(*, env_file: Path | None = DEFAULT_ENV_FILE) -> Settings:
    """Read and check the settings at start; raise SettingsError naming every bad one."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(
            "bad settings (from the environment or .env):\n" + describe_error(error)
        ) from None
