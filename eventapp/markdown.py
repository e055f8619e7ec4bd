"""Markdown written by organisers, rendered to HTML that is safe to show anywhere."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML is allowed in the source (the seed document uses <sup>) because nh3 cleans
# the result: no script, no style, no images, links only to http(s) and mailto.
_parser = MarkdownIt("commonmark", {"html": True, "breaks": False})
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "ul",
}  # fmt: skip


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    return _render(text)


# A pure function of the text: the same source always gives the same HTML, so repeated
# descriptions (every page view of a programme) are rendered once per worker.
@lru_cache(maxsize=4096)
def _render(text: str) -> Markup:
    html = _parser.render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704  (cleaned by nh3 just above)
