"""Pages and feeds of a large event run a fixed number of queries, however many items."""

from __future__ import annotations

import pytest
from helpers import count_queries

from bench.make_large_event import make_large_event

URLS = [
    "/events/{slug}/",
    "/events/{slug}/speakers",
    "/events/{slug}/schedule.xml",
    "/events/{slug}/schedule.json",
    "/events/{slug}/calendar.ics",
    "/api/v1/events/{slug}",
]


def _queries(app, client, url: str) -> int:
    with count_queries(app) as statements:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("template", URLS)
def test_query_count_does_not_grow_with_the_programme(app, client, ctx, template) -> None:
    make_large_event("small", days=1, rooms=2, items=6, speakers=8)
    make_large_event("large", days=3, rooms=10, items=500, speakers=600)
    small = _queries(app, client, template.format(slug="small"))
    large = _queries(app, client, template.format(slug="large"))
    assert large == small, (template, small, large)
    assert large <= 10
