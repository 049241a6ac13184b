"""Settings: defaults, the environment and .env, every refusal naming its variable, the token
kept out of every message."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, SettingsError, describe_error, env_name, load_settings
from bot.store.postgres import PostgresUrl

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIz.secret-token-value.XYZ"


def test_defaults(clean_settings: Path) -> None:
    settings = load_settings()
    assert settings.discord_token is None
    assert settings.database == Path("data/command-deck.db")
    assert settings.content_dir == Path("content")
    assert settings.log_level == "INFO"
    assert settings.dev_guild_id is None
    assert settings.shard_count is None
    assert settings.shard_ids is None
    assert settings.sqlite_synchronous == "FULL"
    assert settings.guild_data_days == 30
    assert settings.tally_refresh_seconds == 3.0
    assert settings.ballot_batch_ms == 2.0


def test_keywords_in_tests(tmp_path: Path) -> None:
    settings = Settings(database=tmp_path / "x.db", content_dir=tmp_path / "content")
    assert settings.database == tmp_path / "x.db"
    assert settings.content_dir == tmp_path / "content"
    assert settings.log_level == "INFO"


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "DISCORD_TOKEN": TOKEN,
        "DATABASE": "/srv/deck.db",
        "CONTENT_DIR": "/srv/content",
        "LOG_LEVEL": "debug",
        "DEV_GUILD_ID": "123456789012345678",
        "SHARD_COUNT": "4",
        "SHARD_IDS": " 0, 2 ",
        "SQLITE_SYNCHRONOUS": "normal",
        "GUILD_DATA_DAYS": "0",
        "TALLY_REFRESH_SECONDS": "1.5",
        "BALLOT_BATCH_MS": "0",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.require_token() == TOKEN
    assert settings.database == Path("/srv/deck.db")
    assert settings.content_dir == Path("/srv/content")
    assert settings.log_level == "DEBUG"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.shard_count == 4
    assert settings.shard_ids == [0, 2]
    assert settings.sqlite_synchronous == "NORMAL"
    assert settings.guild_data_days == 0
    assert settings.tally_refresh_seconds == 1.5
    assert settings.ballot_batch_ms == 0.0


def test_dot_env_file_is_read_and_the_environment_wins(
    clean_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_settings / ".env").write_text(
        "# a comment\nDATABASE=from-dotenv.db\nGUILD_DATA_DAYS=7\nDEV_GUILD_ID=\n"
        "UNRELATED_VARIABLE=ignored\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GUILD_DATA_DAYS", "9")
    settings = load_settings()
    assert settings.database == Path("from-dotenv.db")
    assert settings.guild_data_days == 9
    assert settings.dev_guild_id is None  # empty means unset


def test_an_explicit_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "deck.env"
    env_file.write_text("LOG_LEVEL=WARNING\n", encoding="utf-8")
    assert load_settings(env_file=env_file).log_level == "WARNING"


BAD = [
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    ({"DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID"),
    ({"DEV_GUILD_ID": "0"}, "DEV_GUILD_ID"),
    ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
    ({"SHARD_COUNT": "two"}, "SHARD_COUNT"),
    ({"SHARD_IDS": "0"}, "SHARD_IDS"),  # without SHARD_COUNT
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "1,1"}, "SHARD_IDS"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": "0,one"}, "SHARD_IDS"),
    ({"SHARD_COUNT": "2", "SHARD_IDS": ","}, "SHARD_IDS"),
    ({"SQLITE_SYNCHRONOUS": "OFF"}, "SQLITE_SYNCHRONOUS"),
    ({"GUILD_DATA_DAYS": "-1"}, "GUILD_DATA_DAYS"),
    ({"GUILD_DATA_DAYS": "3651"}, "GUILD_DATA_DAYS"),
    ({"GUILD_DATA_DAYS": "1.5"}, "GUILD_DATA_DAYS"),
    ({"TALLY_REFRESH_SECONDS": "0.5"}, "TALLY_REFRESH_SECONDS"),
    ({"TALLY_REFRESH_SECONDS": "nan"}, "TALLY_REFRESH_SECONDS"),
    ({"BALLOT_BATCH_MS": "50.1"}, "BALLOT_BATCH_MS"),
    ({"BALLOT_BATCH_MS": "-1"}, "BALLOT_BATCH_MS"),
    ({"BALLOT_BATCH_MS": "inf"}, "BALLOT_BATCH_MS"),
]


@pytest.mark.parametrize(("env", "name"), BAD, ids=[f"{n}={e[n]}" for e, n in BAD])
def test_each_bad_value_is_refused_by_its_variable_name(
    env: dict[str, str], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert lines[0] == "bad settings (from the environment or .env):"
    assert len(lines) == 2, lines  # only the bad setting, one line
    assert lines[1].startswith(f"  {name}: ")
    assert "; accepts " in lines[1]
    assert TOKEN not in str(caught.value)


def test_the_message_says_what_was_given_and_what_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "0,5")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).splitlines()[1:] == [
        "  LOG_LEVEL: got 'verbose'; accepts one of DEBUG, INFO, WARNING, ERROR",
        "  SHARD_IDS: shard 5 is not in 0..1 (SHARD_COUNT is 2); accepts this process's shards,"
        " comma-separated like 0,1; each below SHARD_COUNT, which must be set",
    ]


def test_every_bad_setting_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for env, _ in BAD:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("SHARD_COUNT", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    named = [re.match(r"  ([A-Z_]+): ", line) for line in str(caught.value).splitlines()[1:]]
    assert all(named)
    names = [m.group(1) for m in named if m]
    assert len(names) == len(set(names))
    assert set(names) == {name for _, name in BAD}


def test_the_token_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert TOKEN not in repr(settings.discord_token)
    assert TOKEN not in settings.model_dump_json()
    monkeypatch.setenv("SHARD_IDS", "3")  # now the settings are refused
    with pytest.raises(SettingsError) as caught:
        load_settings()
    error = caught.value
    shown = "".join(traceback.format_exception(error))
    assert "SHARD_IDS" in shown
    for text in (str(error), repr(error), shown):
        assert TOKEN not in text


def test_a_refused_token_is_not_quoted() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(discord_token=[TOKEN])
    assert TOKEN not in str(caught.value)  # hide_input_in_errors
    message = describe_error(caught.value)
    assert message.startswith("  DISCORD_TOKEN: not accepted; accepts ")
    assert TOKEN not in message


def test_require_token() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        Settings().require_token()
    assert Settings(discord_token="  ").discord_token is None
    assert Settings(discord_token=TOKEN).require_token() == TOKEN


def test_env_example_lists_every_setting_and_loads(tmp_path: Path) -> None:
    example = ROOT / ".env.example"
    text = example.read_text(encoding="utf-8")
    for field in Settings.model_fields:
        assert re.search(rf"^#? ?{env_name(field)}=", text, re.MULTILINE), field
    assert load_settings(env_file=example) == Settings(_env_file=None)


def test_readme_settings_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for field in Settings.model_fields:
        assert f"| `{env_name(field)}` |" in readme, field


def test_a_postgres_url_is_kept_with_its_password_hidden() -> None:
    settings = Settings(database="postgresql://deck:hunter2@db:5433/deck", _env_file=None)
    assert isinstance(settings.database, PostgresUrl)
    assert settings.database.where == "db:5433"
    assert "hunter2" not in repr(settings) + str(settings.database)
    assert settings.database.secret() == "postgresql://deck:hunter2@db:5433/deck"


def test_a_bad_postgres_url_is_refused_without_its_password() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(database="postgresql://deck:hunter2@db:port/deck", _env_file=None)
    lines = describe_error(caught.value)
    assert lines.startswith("  DATABASE: the URL's port is not a number")
    assert "hunter2" not in lines + str(caught.value)
