"""The JSON API under /api/v1/, documented by the OpenAPI document its code produces."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory
from flask_smorest import Api

from eventapp.api.common import API_PREFIX, BEARER, PROBLEM_JSON

__all__ = ["API_PREFIX", "BEARER", "PROBLEM_JSON", "api", "init_app"]


class EventappApi(Api):
    def _register_responses(self) -> None:
        # Errors are RFC 9457 problem documents: say so in the document.
        import http

        from flask_smorest.utils import prepare_response

        from eventapp.api.schemas import ProblemSchema

        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = ProblemSchema
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An RFC 9457 problem document", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        # eventapp.errors answers both: problem documents under /api/, pages elsewhere.
        pass

    def _register_pagination_header(self) -> None:
        # An HTTP header is a string: say so, and describe the JSON it carries.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata, a JSON object: total, total_pages, "
                "first_page, last_page, page, previous_page, next_page",
                "schema": {"type": "string"},
            },
            lazy=True,
        )


api = EventappApi()


def init_app(app: Flask) -> None:
    import swagger_ui_bundle

    app.config.update(
        API_TITLE="eventapp",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by the app itself from the swagger-ui-bundle package: no CDN.
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
        # Its page is templates/swagger_ui.html (no inline script); no badge fetched from
        # the validator's site either (the Content-Security-Policy keeps to this site).
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Read the programmes of published events and register to them; organisers "
                    "manage their events with a personal token (Authorization: Bearer …, "
                    "created in the organiser area under /admin/tokens; when the site requires "
                    "two-factor sign-in, only the tokens of enrolled accounts work: 403 "
                    "otherwise). Times are ISO 8601 "
                    "with the offset of the event's time zone. Errors are RFC 9457 problem "
                    "documents."
                )
            },
            "components": {
                "securitySchemes": {
                    BEARER: {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal API token of an organiser",
                    }
                }
            },
        },
    )
    api.init_app(app)
    from eventapp.api.organiser import blp as organiser_blp
    from eventapp.api.public import blp as public_blp
    from eventapp.api.registration import blp as registration_blp
    from eventapp.extensions import csrf

    api.register_blueprint(public_blp, url_prefix=API_PREFIX)
    # No cookies authenticate these: the registration takes JSON bodies only (a form of
    # another site cannot send one without CORS), the organiser calls a bearer token.
    for blueprint in (registration_blp, organiser_blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    assets = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get(f"{API_PREFIX}/docs/assets/<path:filename>")
    def api_docs_assets(filename: str):
        return send_from_directory(assets, filename, max_age=86400)
