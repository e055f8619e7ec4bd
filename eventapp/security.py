"""What every answer says to browsers, and who the client is behind reverse proxies.

One place for both: ``init_app`` wraps the app in werkzeug's ProxyFix when
``EVENTAPP_TRUSTED_PROXIES`` is above 0, and adds the security headers to every response
(pages, the API, files, errors).
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Scripts, styles, images, fonts and fetches come from the site itself: every script is a
#: file (no inline script, no eval). Style *attributes* stay allowed (the programme
#: builder places its cells with grid coordinates, the dashboard sizes its charts): they
#: cannot run code, and every value in them is escaped. <style> elements are refused.
#: Images may be data: URIs (the Swagger UI's icons). No page may be framed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: A year, as browsers' HSTS preload lists expect at least.
HSTS = "max-age=31536000"

#: Paths whose URL carries a participant's secret link.
PERSONAL_PREFIX = "/r/"


def trusted_proxies(value: object) -> int:
    """The number of reverse proxies to trust, from EVENTAPP_TRUSTED_PROXIES (a number, or
    its digits as text); ValueError for anything but a whole number from 0 up."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError(value)
    if number < 0:
        raise ValueError(value)
    return number


def init_app(app: Flask) -> None:
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # The last N proxies' X-Forwarded-For / -Proto / -Host are believed, earlier ones
        # (which the client could write) are not. The WSGI environ is changed in place, so
        # gunicorn's access log (%(h)s) sees the same client as the rate limits.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    https = str(app.config["BASE_URL"]).startswith("https://")

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"  # frame-ancestors, for browsers without CSP 2
        headers["X-Content-Type-Options"] = "nosniff"
        if request.path.startswith(PERSONAL_PREFIX):
            # The secret link is never sent on to another page, even of this site.
            headers["Referrer-Policy"] = "no-referrer"
        else:
            headers.setdefault("Referrer-Policy", "same-origin")
        if https:
            headers["Strict-Transport-Security"] = HSTS
        return response


def rate_limit_notice(storage_uri: str | None, workers: int) -> str | None:
    """What the start-up log says about the rate limits' storage: None when it is shared."""
    if storage_uri and not str(storage_uri).startswith("memory://"):
        return None
    return (
        f"rate limits are counted in memory by each of the {workers} worker(s) on its own: "
        "set EVENTAPP_RATELIMIT_STORAGE_URI=redis://… to share them"
    )
