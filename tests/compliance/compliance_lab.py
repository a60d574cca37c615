"""Builders for the compliance tests: a user catalog with a Llama-licensed model, candidate repositories, scan helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scanner.bundled import data_path
from scanner.catalog.add import EntryFacts, add_to_catalog
from scanner.catalog.store import Catalog, load_catalogs
from scanner.code.tokens import _KEPT_NAMES
from scanner.compliance import ComplianceFacts, Observed, compliance_facts
from scanner.parse.repo import parse_repo
from scanner.pipeline import ScanOptions, scan_facts
from scanner.report.model import ArchitectureFacts, TokenizerFacts, TokenizerLineage, TokenizerRelation
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo
from scanner.synthetic.tokenizer import CORPUS_OTHER, CORPUS_OWN, tokenizer_json
from scanner.walk.walker import walk

SPEC = M.TextSpec(hidden=64, layers=4, heads=4, kv_heads=2, intermediate=128, vocab=300)
LLAMA_31 = "LicenseRef-scancode-llama-3.1-license-2024"
LLAMA_HUB_ID = "meta-llama/Llama-Like-8B"
LICENSE_TEXTS = data_path("licenses", "texts")
MOE_SOURCE = Path(__file__).resolve().parents[1] / "code" / "data" / "moe_inference.py"


def license_text(name: str) -> str:
    return (LICENSE_TEXTS / f"{name}.txt").read_text(encoding="utf-8")


def card(front: str, body: str = "# A model\n\nWeights and code.\n") -> str:
    return f"---\n{front}\n---\n{body}"


@dataclass(frozen=True)
class Lab:
    """A user catalog holding 'llama-like' (Llama 3.1 licence) and its reference weights."""

    root: Path
    catalog_dir: Path
    weights: dict
    config: dict
    tokenizer: str

    def scan(self, repo: Path) -> tuple[ComplianceFacts, object]:
        return scan(repo, self.catalog_dir)


def scan(repo: Path, catalog_dir: Path) -> tuple[ComplianceFacts, object]:
    """Run the scan's earlier stages (walk, parse, tokenizer, weight lineage, architecture), then the
    compliance stage, against the bundled catalog plus ``catalog_dir``."""
    facts = scan_facts(str(repo), ScanOptions(catalogs=(catalog_dir,)))
    listing = walk(repo)
    catalog: Catalog = load_catalogs((catalog_dir,))
    observed = Observed(components=facts.components, tokenizer=facts.tokenizer, architecture=facts.architecture)
    return compliance_facts(listing, parse_repo(listing), observed, catalog), facts


def build_lab(root: Path) -> Lab:
    """Fingerprint a synthetic Llama-licensed model into a user catalog under ``root``."""
    weights = M.text_model(SPEC, 31)
    config = M.text_config(SPEC, "llama")
    tokenizer = tokenizer_json(CORPUS_OTHER, SPEC.vocab)
    reference = write_repo(root / "llama-like-model", weights, config,
                           card=card("license: llama3.1", "# Llama Like 8B\n"), license_text=license_text("llama-3.1"),
                           extra_files={"tokenizer.json": tokenizer})
    catalog_dir = root / "catalog"
    add_to_catalog(reference, catalog_dir, "llama-like",
                   EntryFacts(license=LLAMA_31, organisation="Meta", country="US", hf_repo=LLAMA_HUB_ID))
    return Lab(root=root, catalog_dir=catalog_dir, weights=weights, config=config, tokenizer=tokenizer)


_IDENTIFIER = re.compile(r"(?<![\w])[A-Za-z_]\w*")
_API = frozenset({"torch", "nn", "F", "self", "math", "dataclass", "dataclasses", "functional", "Parameter", "Linear",
                  "Module", "ModuleList", "Embedding"})


def disguise(source: str) -> str:
    """A reworked copy: comments replaced, every own identifier renamed, a new header."""
    without_comments = re.sub(r"#[^\n]*", "", source)
    rename = {}
    for name in sorted(set(_IDENTIFIER.findall(without_comments)) - _KEPT_NAMES - _API):
        rename[name] = f"ax_{name[::-1].lower()}"
    body = _IDENTIFIER.sub(lambda m: rename.get(m.group(), m.group()), without_comments)
    return "# Copyright 2026 Example Telecom. All rights reserved.\n# Our own inference engine.\n" + body


def own_tokenizer() -> str:
    return tokenizer_json(CORPUS_OWN, SPEC.vocab)


NOTHING_OBSERVED = Observed(
    components=(),
    tokenizer=TokenizerFacts(status="absent", files=(), type=None, vocab_size=None, added_tokens=None, special_tokens=(),
                             lineage=()),
    architecture=ArchitectureFacts(lineage=()),
)


def observed_tokenizer(catalog_id: str, relation: TokenizerRelation) -> Observed:
    """What the earlier stages report for a repository whose only finding is its tokenizer's relation to ``catalog_id``."""
    lineage = (TokenizerLineage(catalog_id=catalog_id, relation=relation, statistics={}),)
    tokenizer = TokenizerFacts(status="present", files=("tokenizer.json",), type="BPE", vocab_size=1, added_tokens=0,
                               special_tokens=(), lineage=lineage)
    return Observed(components=(), tokenizer=tokenizer, architecture=ArchitectureFacts(lineage=()))


def stage_only(repo: Path, *catalog_dirs: Path, observed: Observed = NOTHING_OBSERVED) -> ComplianceFacts:
    """The compliance stage alone (no weight reading), against the bundled catalog plus ``catalog_dirs``."""
    listing = walk(repo)
    return compliance_facts(listing, parse_repo(listing), observed, load_catalogs(catalog_dirs))


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """A repository made of the given files only (no weights)."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
