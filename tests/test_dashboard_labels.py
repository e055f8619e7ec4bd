"""The dashboard's fill chart names each workshop from its beginning (wrapped, cut at its
end if need be) and says which round and time each bar is: a theme runs in two rounds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from test_admin_support import accounts_fixture, login  # noqa: F401

from eventapp.admin.dashboard import LABEL_CHARS, label_lines
from eventapp.demo import DEMO_SLUG, load_demo
from eventapp.extensions import db
from eventapp.programme import event_by_slug

SVG = "{http://www.w3.org/2000/svg}"
THEME_1 = (
    "Comment gérer le secret professionnel (partagé), le respect de la vie privée "
    "et l'obligation de notification"
)


def test_label_lines_keep_the_beginning() -> None:
    lines = label_lines(THEME_1)
    assert lines[0].startswith("Comment gérer le secret")
    assert lines[-1].endswith("…")
    assert len(lines) == 2 and all(len(line) <= LABEL_CHARS for line in lines)
    assert label_lines("Court") == ["Court"]


def _fill_chart(html: str) -> ET.Element:
    (chunk,) = [chunk for chunk in html.split("<svg")[1:] if 'id="fill-title"' in chunk]
    return ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")


def test_each_bar_names_its_workshop_and_round(app, client, accounts) -> None:
    with app.app_context():
        load_demo()
        event_id = event_by_slug(DEMO_SLUG).id
        db.session.remove()
    login(client, "admin@example.org")
    page = client.get(f"/admin/events/{event_id}/dashboard")
    assert page.status_code == 200
    chart = _fill_chart(page.text)
    labels = []
    for group in chart.iter(f"{SVG}g"):
        label = group.find(f"{SVG}text[@class='label']")
        assert label.get("x") == "0" and label.get("text-anchor") in (None, "start")
        assert float(label.get("y")) - 13 >= 0  # inside the chart, not cut at its top
        lines = ["".join(span.itertext()) for span in label.iter(f"{SVG}tspan")]
        labels.append(lines)
        assert label.find(f"{SVG}title").text.startswith(lines[0].rstrip(" …"))
    assert len(labels) == 8
    themes = [lines[0] for lines in labels]
    assert themes[0].startswith("Comment gérer le secret") and themes[4] == themes[0]
    assert themes[1].startswith("Comment travailler de manière ouverte")
    rounds = [lines[-1] for lines in labels]
    assert rounds == ["Créneau 1, 13:00–14:15"] * 4 + ["Créneau 2, 14:45–16:00"] * 4
    assert all(len(line) <= LABEL_CHARS for lines in labels for line in lines[:-1])
    # The chart is tall enough for every label.
    height = float(chart.get("viewBox").split()[3])
    last = chart.findall(f"{SVG}g")[-1].find(f"{SVG}text[@class='label']")
    assert float(last.get("y")) + 2 * 15 < height
