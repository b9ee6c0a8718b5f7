"""Checks that hostile text rendered into a page or an email stays text."""

from html.parser import HTMLParser

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "math", "details"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "script":
            self._in_script = True
        if tag == "meta" and any(n == "http-equiv" for n, _ in attrs):
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style" and value and "url(" in value.lower():
                self.problems.append(f"<{tag} style=url(...)>")
            if name in URL_ATTRIBUTES and value:
                cleaned = "".join(value.split()).lower()
                if cleaned.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.problems.append("script element running alert()")


def inert_problems(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    if "alert(1)</script>" in html.replace(" ", "") and "<script>alert" in html:
        checker.problems.append("raw <script>alert")
    return checker.problems


def assert_inert(html: str, *, where: str = "") -> None:
    problems = inert_problems(html)
    assert not problems, f"active content {where}: {problems}"
