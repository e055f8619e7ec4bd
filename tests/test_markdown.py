"""Organisers' Markdown is rendered with its nesting and shown safely."""

from eventapp.markdown import render_markdown


def test_nesting_emphasis_and_links() -> None:
    html = render_markdown("- a *b*\n  - c [d](https://example.org)\n    - e")
    assert html.count("<ul>") == 3
    assert "<em>b</em>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_scripts_images_and_dangerous_links_are_dropped() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n"
        '<img src="file:///etc/passwd"> ![x](http://example.org/a.png)\n\n'
        '[click](javascript:alert(1)) <a href="#" onclick="x()">y</a> 1<sup>er</sup>'
    )
    assert "<script" not in html and "alert(1)</" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "onclick" not in html
    assert "<sup>er</sup>" in html


def test_empty() -> None:
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
