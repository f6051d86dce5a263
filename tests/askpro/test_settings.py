"""Settings come from the environment; each case runs in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables each case sets itself (pytest-env sets some for the suite).
_CONTROLLED = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECURE_SSL_REDIRECT", "ENCRYPTION_KEYS"}
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": "redis" if "django_redis" in settings.Q_CLUSTER else "orm",
    "debug": settings.DEBUG,
    "options": settings.DATABASES["default"].get("OPTIONS", {}),
}))
"""


def _run(code: str, **env_vars) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _CONTROLLED}
    env.update({"DJANGO_SETTINGS_MODULE": "askpro.settings", **env_vars})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(**env_vars) -> dict:
    result = _run(PROBE, **env_vars)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_urls_the_embedded_defaults_need_no_services():
    values = _settings(SECRET_KEY="x")
    assert {key: values[key] for key in ("db", "cache", "broker", "debug")} == {
        "db": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "orm",
        "debug": False,
    }


def test_database_and_redis_urls_switch_to_postgres_and_redis():
    values = _settings(
        SECRET_KEY="x",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/askpro",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert values["db"] == "django.db.backends.postgresql"
    assert values["cache"] == "django_redis.cache.RedisCache"
    assert values["broker"] == "redis"


def test_postgres_statements_are_bound_by_the_server_and_prepared_unless_a_pooler_forbids():
    """Django disables psycopg's prepared statements unless `prepare_threshold` is set (#15)."""
    postgres = {"SECRET_KEY": "x", "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/askpro"}
    options = _settings(**postgres)["options"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    pooled = _settings(**postgres, DB_SERVER_BINDING="false")["options"]
    assert pooled["server_side_binding"] is False and pooled["prepare_threshold"] is None


def test_secret_key_is_required_when_debug_is_off():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DEBUG": "false", "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "askpro.settings"},
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_runs_without_a_secret_key():
    assert _settings(DEBUG="true", SECRET_KEY="")["debug"] is True


def test_deploy_check_is_silent_with_production_like_settings():
    result = _run(
        "import sys; from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        SECRET_KEY="k" * 10 + "-a-long-random-production-secret-with-many-different-chars-0123456789",
        ALLOWED_HOSTS="askpro.example.com",
        ENCRYPTION_KEYS="hOu4x4h1Y9dVq9Tn7xg0TzGd7d2ZzCvP3pJgWkXbJtE=",
        METRICS_TOKEN="t",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_about_a_missing_keyring():
    result = _run(
        "from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['manage.py', 'check', '--deploy'])",
        SECRET_KEY="k" * 10 + "-a-long-random-production-secret-with-many-different-chars-0123456789",
        ALLOWED_HOSTS="askpro.example.com",
    )
    assert "askpro.W001" in result.stdout + result.stderr
