"""Configuration: defaults, then EVENTAPP_* environment variables, then checks."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from eventapp.security import trusted_proxies

LANGUAGES = ("fr", "nl", "en")


class ConfigError(RuntimeError):
    """Configuration that cannot work; its message is one line for the operator."""


def _instance_secret_key(instance: Path) -> str:
    key_file = instance / "secret_key"
    if not key_file.exists():
        # O_EXCL: when two workers start at once, one writes the key and both read it.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    key = key_file.read_text().strip()
    if not key:
        raise ConfigError(f"{key_file} is empty: delete it to have a new key generated")
    return key


def configure(app: Flask, overrides: dict | None = None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'eventapp.sqlite3'}",
        BASE_URL="http://127.0.0.1:5000",
        MAIL_SERVER=None,
        MAIL_PORT=25,
        MAIL_DEFAULT_SENDER="eventapp@localhost",
        # "request": delivered right after the request; "worker": by `mail send --watch`.
        MAIL_DELIVERY="request",
        OUTBOX_DIR=str(instance / "outbox"),
        EXPORTS_DIR=str(Path(app.root_path).parent / "exports"),
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE="Europe/Brussels",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(app.root_path) / "translations"),
        LANGUAGES=LANGUAGES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # None: Secure exactly when BASE_URL is https (decided in _check).
        SESSION_COOKIE_SECURE=None,
        # 0: the client is the socket's peer; N: N reverse proxies' X-Forwarded-* are believed.
        TRUSTED_PROXIES=0,
        WTF_CSRF_TIME_LIMIT=None,
        # gzip for text answers worth it; PDFs and images are compressed already.
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/css",
            "text/calendar",
            "text/csv",
            "application/javascript",
            "text/javascript",
            "application/json",
            "application/xml",
            "image/svg+xml",
        ],
    )
    app.config.from_prefixed_env("EVENTAPP")
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    _check(app.config)


def _check(config) -> None:
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    scheme = urlsplit(uri).scheme
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(
            f"EVENTAPP_SQLALCHEMY_DATABASE_URI: unsupported database {scheme!r}; "
            "use sqlite:///… or postgresql+psycopg://…"
        )
    if scheme in ("postgresql", "postgres"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg" + uri[len(scheme) :]
    base = urlsplit(str(config["BASE_URL"]))
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ConfigError(
            f"EVENTAPP_BASE_URL must be an absolute http(s) URL, not {config['BASE_URL']!r}"
        )
    config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    try:
        config["TRUSTED_PROXIES"] = trusted_proxies(config.get("TRUSTED_PROXIES"))
    except ValueError:
        raise ConfigError(
            "EVENTAPP_TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
            f"(0 for none), not {config.get('TRUSTED_PROXIES')!r}"
        ) from None
    # Cookies (session, with its CSRF token; "remember me"; language) are Secure on https.
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = base.scheme == "https"
    config["REMEMBER_COOKIE_SECURE"] = bool(config["SESSION_COOKIE_SECURE"])
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE", "Lax")
    if config.get("MAIL_DELIVERY") not in ("request", "worker"):
        raise ConfigError(
            f"EVENTAPP_MAIL_DELIVERY must be 'request' or 'worker', not {config['MAIL_DELIVERY']!r}"
        )
    port = config.get("MAIL_PORT")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"EVENTAPP_MAIL_PORT must be a port number, not {port!r}")
