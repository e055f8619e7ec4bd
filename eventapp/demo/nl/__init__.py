"""The Dutch version of the demo event ("Kinderen eerst"), paired with the French by keys.

``eventapp.demo.nl.data`` holds every short text keyed as ``eventapp.demo.data`` keys the
French; ``summaries/`` holds one Dutch Markdown file per French one, under the same name, with
the same structure (headings, lists and their nesting, line for line). The whole Dutch
compte-rendu is ``eventapp/demo/compte-rendu-journee-reseau-2015-12-01.nl.md``.
"""

from __future__ import annotations

from importlib.resources import files


def summary(name: str) -> str:
    """The Dutch text of the French summary ``eventapp/demo/summaries/<name>.md``."""
    return files(__name__).joinpath("summaries", f"{name}.md").read_text("utf-8").strip()
