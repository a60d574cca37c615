"""Licence text → comparable words.

Copies of one licence differ in ways that do not change its terms: line wrapping, markdown or
HTML markup, straight or curly quotes, bullets and list markers ("a.", "iv."), a copyright line
naming someone else, ``http`` versus ``https``, "licence" versus "license", a dropped "the".
Normalising all of these away before comparing is what lets a reformatted copy still match
*exactly*, so that any remaining difference is a real change of wording.

Words are kept with the line they came from and their original spelling, so a difference can be
shown to a reviewer in the text's own words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One CJK character is one word (those scripts do not separate words with spaces).
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
# Link text may be wrapped over lines; the target never contains spaces.
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]{0,300})\]\(([^)\s]{0,2000})\)")
_URL_PREFIX = re.compile(r"\b(?:https?|ftp)://(?:www\.)?|\bwww\.", re.IGNORECASE)
_APOSTROPHE = re.compile(r"(?<=\w)['’‘`´](?=\w)")
_COPYRIGHT_START = re.compile(r"^\W*(?:copyright\b|©|\(c\)\s*(?:19|20)\d\d)", re.IGNORECASE)
_COPYRIGHT_MARK = re.compile(r"\b(?:19|20)\d\d\b|©|\(c\)|\[yyyy\]|\{yyyy\}|<year>|all rights reserved", re.IGNORECASE)
# "All rights reserved" ends a copyright statement; words after it are something else.
_AFTER_RESERVED = re.compile(r"all\s+rights\s+reserved\W*\w", re.IGNORECASE)
_SPELLING = (("licenc", "licens"), ("authoris", "authoriz"))
_ROMAN = frozenset({"ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii", "xiv", "xv"})
_NOISE = frozenset({"the", "an"})
COPYRIGHT_LINE_MAX = 200
# Words that grant, restrict or condition something. A passage carrying one states terms, so it can
# be neither a copyright statement nor a harmless heading.
DUTY_WORDS = frozenset(
    {"must", "shall", "may", "not", "no", "only", "prohibited", "required", "commercial", "non",
     "except", "without", "permission", "restricted", "forbidden", "exclusively"}
)


@dataclass(frozen=True, slots=True)
class Words:
    """The comparable words of a text.

    ``keys`` are what is compared. ``written`` holds every word as written (noise words too) and
    ``positions[i]`` says where key ``i`` sits in it, so a run of keys can be quoted back readably;
    ``lines[i]`` is the (0-based) line of key ``i``, to tell a heading from part of a sentence, and
    ``copyright[i]`` whether that line is a copyright statement.
    """

    keys: tuple[str, ...]
    positions: tuple[int, ...]
    lines: tuple[int, ...]
    written: tuple[str, ...]
    copyright: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.keys)

    def excerpt(self, start: int, end: int, limit: int = 300) -> str:
        """Keys ``start:end`` quoted as written (with the noise words between them), shortened."""
        if start >= end:
            return ""
        text = " ".join(self.written[self.positions[start] : self.positions[end - 1] + 1])
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def is_copyright(self, start: int, end: int) -> bool:
        """Whether keys ``start:end`` all sit on copyright lines."""
        return start < end and all(self.copyright[start:end])

    def is_whole_lines(self, start: int, end: int) -> bool:
        """Whether keys ``start:end`` make up complete lines (a heading, not part of a sentence)."""
        if start >= end:
            return False
        first_line, last_line = self.lines[start], self.lines[end - 1]
        before_ok = start == 0 or self.lines[start - 1] != first_line
        after_ok = end == len(self.keys) or self.lines[end] != last_line
        return before_ok and after_ok


def is_copyright_line(line: str) -> bool:
    """A short line that starts like a copyright statement, carries a year, © or similar, and says nothing more.

    Who holds the copyright is not a term, so such lines are left out of the comparison. That makes
    them the place to hide terms ("Copyright 2024 X. Commercial use is prohibited."): a line with a
    duty word, or with anything after "All rights reserved", is not a copyright statement.
    """
    stripped = line.strip()
    return (
        len(stripped) <= COPYRIGHT_LINE_MAX
        and bool(_COPYRIGHT_START.match(stripped))
        and bool(_COPYRIGHT_MARK.search(stripped))
        and not _AFTER_RESERVED.search(stripped)
        and DUTY_WORDS.isdisjoint(word.casefold() for word in _WORD.findall(stripped))
    )


def _link_text(match: re.Match[str]) -> str:
    """A markdown link reads as its text; the target is markup (a bare link keeps its address)."""
    return match.group(1) if match.group(1).strip() else match.group(2)


def _clean_line(line: str) -> str:
    line = _URL_PREFIX.sub(" ", line)
    return _APOSTROPHE.sub("", line)


def _key(word: str) -> str:
    for british, american in _SPELLING:
        if british in word:
            word = word.replace(british, american)
    return word


_INSIGNIFICANT = _NOISE | _ROMAN | frozenset("abcdefghijklmnopqrstuvwxyz")


def _copyright_paragraph_lines(lines: list[str]) -> set[int]:
    """Lines of paragraphs that are copyright statements: whoever holds the copyright is not a term.

    A paragraph counts when it is made of copyright lines, or when its lines joined are one (a
    statement wrapped over lines; the same test then applies to the continuation lines, so terms
    cannot ride on them). Paragraphs are used rather than lines because re-wrapping can start a line
    with "Copyright ©" in the middle of a sentence (Llama's notice text), and that must stay.
    """
    dropped: set[int] = set()
    paragraph: list[int] = []
    for index, line in enumerate([*lines, ""]):
        if line.strip():
            paragraph.append(index)
            continue
        if paragraph and (
            is_copyright_line(" ".join(lines[i].strip() for i in paragraph))
            or all(is_copyright_line(lines[i]) for i in paragraph)
        ):
            dropped.update(paragraph)
        paragraph = []
    return dropped


def words(text: str) -> Words:
    """Normalise ``text`` and split it into comparable words.

    This runs on every licence file (up to a couple of megabytes), so the loop is kept flat.
    """
    text = _MARKDOWN_LINK.sub(_link_text, unicodedata.normalize("NFKC", text))
    lines_of_text = text.splitlines()
    dropped = _copyright_paragraph_lines(lines_of_text)
    keys: list[str] = []
    positions: list[int] = []
    lines: list[int] = []
    written: list[str] = []
    copyright_flags: list[bool] = []
    for line_no, line in enumerate(lines_of_text):
        if line_no in dropped:
            continue
        on_copyright_line = is_copyright_line(line)
        for word in _WORD.findall(_clean_line(line)):
            key = word.casefold()
            if "licenc" in key or "authoris" in key:
                key = _key(key)
            if key not in _INSIGNIFICANT:
                keys.append(key)
                positions.append(len(written))
                lines.append(line_no)
                copyright_flags.append(on_copyright_line)
            written.append(word)
    return Words(tuple(keys), tuple(positions), tuple(lines), tuple(written), tuple(copyright_flags))
