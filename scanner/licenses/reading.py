"""Reading a licence file whatever shape it arrives in.

LICENSE files in model repositories are mostly UTF-8, but Windows tools leave UTF-16 with a byte
order mark, old ones Latin-1 or cp1252, some repositories ship the licence as a saved HTML page,
and now and then a "LICENSE" is empty or is really a 50 MB blob. None of that may stop a scan:
each case becomes a ``LicenseText`` whose ``problem`` says what happened, with as much usable text
as could be recovered.
"""

from __future__ import annotations

import codecs
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from scanner.errors import problem
from scanner.licenses.model import LicenseText
from scanner.report.model import Severity

MAX_LICENSE_BYTES = 2 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_HTML_TAGS = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|span|a|table|tr|td|strong|em|b|i)\b[^>]*>", re.IGNORECASE)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "section",
     "article", "main", "header", "footer", "blockquote", "pre", "hr", "title", "dt", "dd", "dl", "caption",
     "figure", "figcaption", "address", "details", "summary", "center"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript", "template", "svg", "nav", "aside", "footer", "form",
                           "button", "select"})
# Where a saved page keeps the document itself, most specific first; the rest is the site around it.
_CONTENT_TAGS = ("article", "main", "pre")
# A <pre> is the document only when it holds most of the page (not a code sample on a licence page).
PRE_MIN_SHARE = 0.5


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one block element per line, and separately that of its content elements.

    Menus, asides, forms and footers are dropped, and so is a page header outside the content, so
    that a site's navigation does not read as words added to the licence. Adjacent inline elements
    (``<span>Apache</span><span>License</span>``) are separated by a space; text and an inline
    element that touch (``<em>Licensor</em>'s``) are not, because that is how words are marked up.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.regions: dict[str, list[str]] = {tag: [] for tag in _CONTENT_TAGS}
        self._depth = dict.fromkeys(_CONTENT_TAGS, 0)
        self._skipping = 0
        self._after_inline_end = False

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        for tag, depth in self._depth.items():
            if depth:
                self.regions[tag].append(text)

    def _skipped(self, tag: str) -> bool:
        return tag in _SKIPPED_TAGS or (tag == "header" and not (self._depth["article"] or self._depth["main"]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipped(tag):
            self._skipping += 1
            return
        if self._skipping:
            return
        if tag in self._depth:
            self._depth[tag] += 1
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        elif self._after_inline_end:
            self._emit(" ")
        self._after_inline_end = False

    def handle_endtag(self, tag: str) -> None:
        if self._skipped(tag):
            self._skipping = max(0, self._skipping - 1)
            return
        if self._skipping:
            return
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        self._after_inline_end = tag not in _BLOCK_TAGS
        if tag in self._depth:
            self._depth[tag] = max(0, self._depth[tag] - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._emit(data)
            self._after_inline_end = False

    def content(self) -> str:
        """The page's document: its <article>, else <main>, else a <pre> holding most of the text, else all of it."""
        everything = "".join(self.parts)
        for tag in _CONTENT_TAGS:
            region = "".join(self.regions[tag])
            words = len(region.split())
            if words and (tag != "pre" or words >= PRE_MIN_SHARE * len(everything.split())):
                return region
        return everything


def looks_like_html(text: str) -> bool:
    """An HTML document, or text dense with HTML block tags (a saved licence page)."""
    if _HTML_START.match(text[:4096]):
        return True
    sample = text[:20000]
    return len(_HTML_TAGS.findall(sample)) >= 5 and sample.count("<") > sample.count("\n") / 4


def html_to_text(html: str) -> str:
    """The document text of ``html``: its content element, scripts, styles and menus dropped, entities resolved,
    blocks on their own lines."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in extractor.content().splitlines())
    return unescape("\n".join(lines)).strip()


def _looks_like_utf16(raw: bytes) -> str | None:
    """Guess BOM-less UTF-16 from NUL bytes at every other position (ASCII text)."""
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _decode_prefix(raw: bytes, encoding: str, truncated: bool) -> str:
    """Decode strictly; when the read was cut short, drop a character split by the cut."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(raw) - 4:
            return raw[: exc.start].decode(encoding)
        raise


def decode(raw: bytes, *, truncated: bool = False) -> tuple[str, str]:
    """Text and the encoding used: BOM, then BOM-less UTF-16 (NUL-byte pattern), UTF-8, cp1252, Latin-1.

    A BOM or the NUL pattern of UTF-16 is evidence enough: a file that then does not decode cleanly
    (an odd byte count, a stray byte) is decoded with replacement characters rather than falling
    through to UTF-8, which would keep every NUL and make the text look binary.
    """
    evidence = next((encoding for bom, encoding in _BOMS if raw.startswith(bom)), None) or _looks_like_utf16(raw)
    candidates = [*([evidence] if evidence else []), "utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return _decode_prefix(raw, encoding, truncated), encoding
        except UnicodeDecodeError:
            if encoding == evidence and (evidence.startswith("utf-16") or evidence.startswith("utf-32")):
                return raw.decode(encoding, errors="replace"), encoding
    return raw.decode("latin-1"), "latin-1"


def read_license_text(path: Path | str, *, name: str | None = None, limit: int = MAX_LICENSE_BYTES) -> LicenseText:
    """Read a licence file (at most ``limit`` bytes); never raises for odd content or I/O errors."""
    path = Path(path)
    label = name or str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            raw = handle.read(limit)
    except OSError as exc:
        return LicenseText(
            path=label, text="", encoding=None, size=0, bytes_read=0, truncated=False, was_html=False,
            problem=problem(label, "file.unreadable", f"cannot be read ({exc.strerror or exc})"),
        )
    truncated = size > len(raw)
    issue = None
    if truncated:
        issue = problem(label, "license.too-large", f"is {size} bytes; too large, first {len(raw)} bytes used", Severity.WARNING)
    text, encoding = decode(raw, truncated=truncated)
    if "\x00" in text:
        return LicenseText(
            path=label, text="", encoding=encoding, size=size, bytes_read=len(raw), truncated=truncated,
            was_html=False, problem=problem(label, "license.binary", "is binary, not a licence text", Severity.WARNING),
        )
    was_html = looks_like_html(text)
    if was_html:
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        issue = problem(label, "license.empty", "is empty" if size == 0 else "contains no text", Severity.WARNING)
    return LicenseText(
        path=label, text=text, encoding=encoding, size=size, bytes_read=len(raw), truncated=truncated,
        was_html=was_html, problem=issue,
    )
