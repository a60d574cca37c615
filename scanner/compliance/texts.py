"""The repository's prose, searchable for the sentences licences require (notices, "Built with ...").

Required wording is looked for word by word after normalisation: Unicode compatibility forms,
case, punctuation, quotes and line breaks do not matter, so "Built with Llama" matches
``**built with LLAMA**`` and a notice re-wrapped over two lines. The documents searched are the
card, NOTICE files and other top-level Markdown or text files, each read with the licence reader's
size cap. Licence texts and use policies are not: they quote the very sentences they require, so
finding "Built with Llama" in a copy of the Llama licence proves nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from scanner.licenses.reading import read_license_text
from scanner.report.model import CardFacts, FileKind
from scanner.walk.walker import RepoListing

_WORD = re.compile(r"[0-9a-z]+")
_DOCUMENT_SUFFIXES = (".md", ".txt", ".rst")
_DOCUMENT_KINDS = (FileKind.NOTICE, FileKind.OTHER)
MAX_DOCUMENTS = 200


def normalise(text: str) -> str:
    """Words only, lower-case, single-spaced and padded: ``' built with llama '``."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("©", " c ")
    return " " + " ".join(_WORD.findall(folded)) + " "


@dataclass(frozen=True, slots=True)
class Document:
    """One searchable text: its label (a path, or 'README.md' for the card body), kind and words."""

    label: str
    kind: FileKind
    words: str


@dataclass(frozen=True, slots=True)
class RepoTexts:
    """Every searchable document of the repository."""

    documents: tuple[Document, ...]

    def find(self, phrase: str, kinds: tuple[FileKind, ...] | None = None) -> list[str]:
        """Labels of the documents (of ``kinds``, if given) that contain ``phrase``."""
        wanted = normalise(phrase)
        if not wanted.strip():
            return []
        return [d.label for d in self.documents if (kinds is None or d.kind in kinds) and wanted in d.words]

    def labels(self, kinds: tuple[FileKind, ...] | None = None) -> list[str]:
        return [d.label for d in self.documents if kinds is None or d.kind in kinds]


def _is_document(path: str, kind: FileKind) -> bool:
    pure = PurePosixPath(path)
    return kind is FileKind.NOTICE or (len(pure.parts) == 1 and pure.suffix.lower() in _DOCUMENT_SUFFIXES)


def repo_texts(listing: RepoListing, card: CardFacts | None, already_read: Mapping[str, str],
               license_texts: frozenset[str] = frozenset()) -> RepoTexts:
    """The card body, NOTICE files and other top-level documents.

    ``already_read`` holds texts the licence stage read (by path); the rest are read here with the
    same decoding and size cap. NOTICE files in ``license_texts`` are really licences and are left out.
    """
    documents = []
    if card is not None:
        documents.append(Document(label=card.file, kind=FileKind.MODEL_CARD, words=normalise(card.text)))
    chosen = [e for e in listing.of_kind(*_DOCUMENT_KINDS) if _is_document(e.path, e.kind) and e.path not in license_texts]
    for entry in chosen[:MAX_DOCUMENTS]:
        text = already_read.get(entry.path)
        if text is None:
            text = read_license_text(listing.path(entry.path), name=entry.path).text
        documents.append(Document(label=entry.path, kind=entry.kind, words=normalise(text)))
    return RepoTexts(documents=tuple(documents))
