"""Schemathesis explores the API from its own OpenAPI document: no 5xx, answers match it."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from eventapp import create_app
from eventapp.demo import load_demo
from eventapp.extensions import db


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("schemathesis")
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'api.sqlite3'}"},
        instance_path=str(tmp),
    )
    with app.app_context():
        db.create_all()
        load_demo()
    return app


def test_api_conforms_to_its_schema(api_app) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def explore(case) -> None:
            case.call_and_validate()

        explore()
