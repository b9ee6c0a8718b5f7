"""osTicket's FAQ answers as Markdown: sanitised first, then said in Markdown, and the
knowledge base's rendering of it shows what the answer showed (importers/osticket/markdown.py)."""

import pytest

from importers.osticket.markdown import html_to_markdown
from kb.rendering import render_markdown
from tests.support.hostile import PAYLOADS
from tests.support.inert import assert_inert


@pytest.mark.parametrize(
    ("source", "markdown"),
    [
        ("<p>One</p><p>Two<br>lines</p>", "One\n\nTwo  \nlines"),
        ("<h1>Title</h1><h3>Sub</h3>", "## Title\n\n### Sub"),
        ("<b>bold</b> <em>it</em> <code>a_b</code>", "**bold** *it* `a_b`"),
        ('<a href="https://example.com/a b">x</a>', "[x](https://example.com/a%20b)"),
        ("<ol><li>one</li><li>two<ul><li>in</li></ul></li></ol>", "1. one\n2. two\n    - in"),
        ("<blockquote><p>q</p><p>r</p></blockquote>", "> q\n>\n> r"),
        ("<pre>x = 1\n  y *= 2</pre>", "```\nx = 1\n  y *= 2\n```"),
        ("2 * 3 &lt;b&gt; AT&amp;T [x](y) a_b", "2 \\* 3 &lt;b\\> AT&amp;T \\[x\\](y) a\\_b"),
        (
            "<p>- no list</p><p>1. no list</p><p># no heading</p>",
            "\\- no list\n\n1\\. no list\n\n\\# no heading",
        ),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_html_becomes_markdown(source, markdown):
    assert html_to_markdown(source) == markdown


def test_text_that_looks_like_markup_renders_as_the_text_it_was():
    html = render_markdown(html_to_markdown("<p>2 * 3 &lt;b&gt; a_b_c [x](y) 1. #</p>"))
    assert html == "<p>2 * 3 &lt;b&gt; a_b_c [x](y) 1. #</p>"


def test_a_table_stays_a_sanitised_table():
    markdown = html_to_markdown('<table onclick="x()"><tr><td>a &lt; b</td></tr></table>')
    assert markdown == "<table><tbody><tr><td>a &lt; b</td></tr></tbody></table>"
    assert "<td>a &lt; b</td>" in render_markdown(markdown)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_answers_are_inert(payload):
    rendered = render_markdown(html_to_markdown(payload))
    assert_inert(rendered)
    assert "<script" not in rendered.lower()
