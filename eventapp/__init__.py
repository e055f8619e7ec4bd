"""eventapp: network days and small conferences, from registration to proceedings."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from eventapp.config import configure
from eventapp.export_cache import gzip_kept_page
from eventapp.extensions import babel, compress, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=instance_path,
        instance_relative_config=True,
    )
    configure(app, overrides)

    from eventapp import i18n, models  # noqa: F401  (models: the schema Alembic compares)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)

    from eventapp import api, errors, security, static_files
    from eventapp.admin import bp as admin_bp
    from eventapp.interop.views import bp as interop_bp
    from eventapp.proceedings.views import bp as proceedings_bp
    from eventapp.public import bp as public_bp
    from eventapp.public.calendars import bp as calendar_bp

    for blueprint in (public_bp, admin_bp, calendar_bp, interop_bp, proceedings_bp):
        app.register_blueprint(blueprint)
    api.init_app(app)
    static_files.init_app(app)
    compress.init_app(app)
    # After Flask-Compress, so it runs before it: shared pages are gzipped once, not per visit.
    app.after_request(gzip_kept_page)

    errors.init_app(app)
    security.init_app(app)
    from eventapp.commands import register_commands

    register_commands(app)
    return app
