"""Dutch and English follow French: every message of the code is translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _message_ids() -> set[str]:
    method_map, options_map = parse_mapping_cfg((ROOT / "babel.cfg").open())
    ids: set[str] = set()
    for _, _, message, *_ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_catalogue_is_complete(lang: str) -> None:
    path = ROOT / "eventapp" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    # A plural message is known by its singular id.
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalogue if m.id}
    missing = sorted(_message_ids() - set(translated))
    assert not missing, f"run scripts/update-translations.sh and translate: {missing[:10]}"
    untranslated = [
        key
        for key, m in translated.items()
        if m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert not untranslated, untranslated[:10]


def test_dutch_page(client, demo) -> None:
    page = client.get("/events/journee-reseau-2015/", headers={"Accept-Language": "nl-BE"})
    assert '<h2 id="programme-heading">Programma</h2>' in page.text
    assert "Parallel, 13:00–14:15" in page.text
