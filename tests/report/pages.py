"""Reading a report page back: a strict HTML structure check and the embedded images."""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Page:
    """What :class:`PageParser` found."""

    sections: list[str] = field(default_factory=list)  # data-section values, in order
    images: list[tuple[str, str, str]] = field(default_factory=list)  # (section, src, alt)
    warnings: dict[str, list[dict]] = field(default_factory=dict)  # section → data-* of warning elements
    tags: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)  # every src / href value
    text: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Parses a page, checking that every element is closed in order (a strict well-formedness check)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, str | None]] = []

    def _section(self) -> str:
        for _, sec in reversed(self.stack):
            if sec:
                return sec
        return ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.page.tags.add(tag)
        for key in ("src", "href"):
            if key in a:
                self.page.urls.append(a[key] or "")
        if "data-section" in a:
            self.page.sections.append(a["data-section"])
        if tag == "img":
            self.page.images.append((self._section(), a.get("src", ""), a.get("alt", "")))
        if "data-rule" in a:
            sec = a.get("data-section") or self._section()
            self.page.warnings.setdefault(sec, []).append(
                {k[5:]: v for k, v in a.items() if k.startswith("data-") and k != "data-section"}
            )
        if tag not in VOID:
            self.stack.append((tag, a.get("data-section")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            self.page.errors.append(f"</{tag}> closes <{open_tag}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.page.text.append(data.strip())


def parse_page(html: str) -> Page:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    if parser.stack:
        parser.page.errors.append(f"unclosed: {[t for t, _ in parser.stack]}")
    return parser.page


def png_size(src: str) -> tuple[int, int]:
    """Width and height of a ``data:image/png;base64,`` image; AssertionError if it is not a valid PNG."""
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    data = base64.b64decode(src[len(prefix) :], validate=True)
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data.endswith(b"IEND\xaeB`\x82")
    from PIL import Image  # pillow comes with matplotlib

    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    return width, height
