"""osTicket's FAQ answers (HTML from its editor) as Markdown for our knowledge base.

First sanitised with the knowledge base's own nh3 allow-list (kb.rendering.clean_html),
so only formatting is left: no scripts, handlers, styles, frames, `javascript:` links or
remote images. Then each tag that Markdown has a way to say is said that way (paragraphs,
line breaks, headings, bold, italics, code, links, lists, quotes, rules); the text in
between is escaped, so that an answer saying "2 * 3" or "<b>" means exactly that. A table
has no plain Markdown form: it stays as the sanitised HTML block it is, which Markdown
lets through and kb.rendering sanitises again on every rendering.

The result is what editors see and edit; the article's HTML is rendered from it by the
knowledge base as for any article (docs/decisions/0047).
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from kb.rendering import clean_html

_ESCAPE_RE = re.compile(r"([\\`*_\[\]>|])")
_LINE_START_RE = re.compile(r"^(\s*)([#+\-=]|\d+(?=\.))")
_LINE_START_DIGITS_RE = re.compile(r"^(\s*\d+)\.")
_SPACE_RE = re.compile(r"[ \t\r\n\f]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_H1_RE = re.compile(r"<(/?)h1\b", re.IGNORECASE)
INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*"}
HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}  # h1 is the title's


def _escape(text: str) -> str:
    # Python-Markdown has no escape for < and &: entities say them.
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _ESCAPE_RE.sub(r"\\\1", text)


class _Converter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list] = []  # each: [kind, next number]
        self.quotes: list[int] = []  # where each open quote's text starts in `out`
        self.pre = 0
        self.code = 0
        self.links: list[str | None] = []
        self.table: list[str] | None = None
        self.table_depth = 0

    # -- output ----------------------------------------------------------------------

    def _write(self, text: str) -> None:
        self.out.append(text)

    def _block(self) -> None:
        """End the current block: a blank line, unless one is there already."""
        text = "".join(self.out)
        if not text or text.endswith("\n\n"):
            return
        self._write("\n" if text.endswith("\n") else "\n\n")

    def _newline(self) -> None:
        self._write("\n" + "    " * max(0, len(self.lists) - 1))

    # -- parsing ---------------------------------------------------------------------

    def handle_starttag(self, tag, attrs):
        if self.table is not None:
            self.table_depth += tag == "table"
            self.table.append(self.get_starttag_text() or f"<{tag}>")
            return
        if tag in INLINE:
            self._write(INLINE[tag])
        elif tag in HEADINGS:
            self._block()
            self._write("#" * HEADINGS[tag] + " ")
        elif tag in ("p", "div", "dl"):
            self._block()
        else:
            handler = getattr(self, f"_start_{tag}", None)
            if handler is not None:
                handler(dict(attrs))

    def handle_endtag(self, tag):
        if self.table is not None:
            self._end_table_part(tag)
        elif tag in INLINE:
            self._write(INLINE[tag])
        elif tag in HEADINGS or tag in ("p", "div", "dl"):
            self._block()
        else:
            handler = getattr(self, f"_end_{tag}", None)
            if handler is not None:
                handler()

    # -- one tag each ----------------------------------------------------------------

    def _start_table(self, attrs):
        self._block()
        self.table, self.table_depth = [self.get_starttag_text() or "<table>"], 1

    def _end_table_part(self, tag):
        self.table.append(f"</{tag}>")
        if tag == "table":
            self.table_depth -= 1
            if self.table_depth == 0:
                self._write("".join(self.table))
                self.table = None
                self._block()

    def _start_br(self, attrs):
        self._write("  \n")

    def _start_hr(self, attrs):
        self._block()
        self._write("---")
        self._block()

    def _start_code(self, attrs):
        if not self.pre:
            self._write("`")
            self.code += 1

    def _end_code(self):
        if not self.pre:
            self._write("`")
            self.code = max(0, self.code - 1)

    _start_kbd, _end_kbd = _start_code, _end_code

    def _start_pre(self, attrs):
        self._block()
        self._write("```\n")
        self.pre += 1

    def _end_pre(self):
        self.pre = max(0, self.pre - 1)
        self._write("\n```")
        self._block()

    def _start_blockquote(self, attrs):
        self._block()
        self.quotes.append(len(self.out))

    def _end_blockquote(self):
        if self.quotes:
            start = self.quotes.pop()
            inner = "".join(self.out[start:]).strip()
            del self.out[start:]
            self._write("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
        self._block()

    def _start_ul(self, attrs, kind="ul"):
        if not self.lists:
            self._block()
        self.lists.append([kind, 1])

    def _start_ol(self, attrs):
        self._start_ul(attrs, kind="ol")

    def _end_ul(self):
        if self.lists:
            self.lists.pop()
        if not self.lists:
            self._block()

    _end_ol = _end_ul

    def _start_li(self, attrs):
        if not self.lists:
            return
        self._newline()
        current = self.lists[-1]
        if current[0] == "ol":
            self._write(f"{current[1]}. ")
            current[1] += 1
        else:
            self._write("- ")

    def _start_dt(self, attrs):
        self._newline()

    _start_dd = _start_dt

    def _start_a(self, attrs):
        href = attrs.get("href")
        self.links.append(href)
        if href:
            self._write("[")

    def _end_a(self):
        href = self.links.pop() if self.links else None
        if href:
            self._write(f"]({href.replace(' ', '%20').replace(')', '%29')})")

    def _start_img(self, attrs):
        # Only our own paths survive the sanitiser; otherwise the words it stood for.
        src, alt = attrs.get("src"), attrs.get("alt") or ""
        if src:
            self._write(f"![{_escape(alt)}]({src})")
        elif alt:
            self._write(_escape(alt))

    def handle_data(self, data):
        if self.table is not None:
            self.table.append(escape(data, quote=False))
            return
        if self.pre:
            self._write(data.replace("```", "` ` `"))
            return
        text = _SPACE_RE.sub(" ", data)
        if self.code:  # a code span shows its text as it is
            self._write(text.replace("`", "'"))
            return
        written = "".join(self.out)
        if not written or written.endswith((" ", "\n", "[", "(")):
            text = text.lstrip()
        text = _escape(text)
        if not written.rstrip(" >").split("\n")[-1].strip():
            # At the start of a line, "# x", "- x" or "1. x" would be a heading or a list.
            if _LINE_START_DIGITS_RE.match(text):
                text = _LINE_START_DIGITS_RE.sub(r"\1\\.", text, count=1)
            else:
                text = _LINE_START_RE.sub(r"\1\\\2", text, count=1)
        self._write(text)


def html_to_markdown(source: str) -> str:
    """Sanitised, then Markdown: safe whatever the source held."""
    converter = _Converter()
    # Our articles' headings start at h2 (the title is the h1), and the allow-list says so.
    converter.feed(clean_html(_H1_RE.sub(r"<\1h2", source or "")))
    converter.close()
    text = "".join(converter.out)
    text = "\n".join(
        line.rstrip() if not line.endswith("  ") else line for line in text.split("\n")
    )
    return _BLANK_LINES_RE.sub("\n\n", text).strip()
