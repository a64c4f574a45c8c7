"""Production refuses an unsafe configuration with one clear line; a safe one passes
`salama check --deploy` without a single warning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

GOOD_SECRET = "k3J9x-vQ2m_T8rLw4ZpYc6NfHs0BdGaE1uVtXoKi7RlWjMqS5n"


def salama(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SALAMA_", "DATABASE_URL", "DJANGO_"))}
    clean.update({"SALAMA_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "salama.cli", *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


PRODUCTION = {
    "SALAMA_ENV": "production",
    "SALAMA_SECRET_KEY": GOOD_SECRET,
    "SALAMA_ALLOWED_HOSTS": "salama.example.org",
    "SALAMA_SITE_URL": "https://salama.example.org",
    "SALAMA_EMAIL_HOST": "smtp.example.org",
}


def test_a_production_configuration_passes_check_deploy(tmp_path):
    result = salama(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(GOOD_SECRET + "\n")
    env = {**PRODUCTION, "SALAMA_SECRET_KEY_FILE": str(secret_file)}
    del env["SALAMA_SECRET_KEY"]
    result = salama(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"SALAMA_DEBUG": "true"}, "SALAMA_DEBUG"),
        ({"SALAMA_SECRET_KEY": ""}, "SALAMA_SECRET_KEY"),
        ({"SALAMA_SECRET_KEY": "django-insecure-" + "x" * 60}, "SALAMA_SECRET_KEY"),
        ({"SALAMA_ALLOWED_HOSTS": ""}, "SALAMA_ALLOWED_HOSTS"),
        ({"SALAMA_SITE_URL": "http://salama.example.org"}, "SALAMA_SITE_URL"),
        ({"SALAMA_SECRET_KEY_FILE": "/nonexistent/secret"}, "SALAMA_SECRET_KEY_FILE"),
        ({"SALAMA_ENV": "staging"}, "SALAMA_ENV"),
        ({"SALAMA_DEMO": "true"}, "SALAMA_DEMO"),  # the demo mailbox shows all mail to anyone signed in
    ],
)
def test_production_refuses_an_unsafe_configuration_with_one_line(tmp_path, change, says):
    result = salama(["check"], tmp_path, **{**PRODUCTION, **change})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("salama: configuration problem:") and says in lines[0]


def test_development_mode_serves_only_on_loopback(tmp_path):
    result = salama(["serve", "--host", "0.0.0.0", "--no-migrate"], tmp_path)  # noqa: S104
    assert result.returncode != 0
    assert "SALAMA_ENV=production" in result.stderr


def test_check_deploy_warns_when_account_mail_would_go_to_files(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SALAMA_EMAIL_HOST"}
    result = salama(["check", "--deploy"], tmp_path, **env)
    assert "salama.W001" in result.stdout + result.stderr


def test_the_demo_never_loads_in_production(tmp_path):
    result = salama(["demo", "--no-serve"], tmp_path, **PRODUCTION)
    assert result.returncode != 0 and "never loads in production" in result.stderr
