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
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
     "article", "header", "footer", "blockquote", "pre", "hr", "title", "dt", "dd"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript", "template", "svg"})


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page, one block element per line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """An HTML document, or text dense with HTML block tags (a saved licence page)."""
    if _HTML_START.match(text[:4096]):
        return True
    sample = text[:20000]
    return len(_HTML_TAGS.findall(sample)) >= 5 and sample.count("<") > sample.count("\n") / 4


def html_to_text(html: str) -> str:
    """Visible text of ``html``: scripts and styles dropped, entities resolved, blocks on their own lines."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
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
    """Text and the encoding used: BOM, then BOM-less UTF-16 (NUL-byte pattern), UTF-8, cp1252, Latin-1."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _decode_prefix(raw, encoding, truncated), encoding
            except UnicodeDecodeError:
                break
    utf16 = _looks_like_utf16(raw)
    candidates = [*([utf16] if utf16 else []), "utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return _decode_prefix(raw, encoding, truncated), encoding
        except UnicodeDecodeError:
            continue
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
