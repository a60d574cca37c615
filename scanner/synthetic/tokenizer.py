"""A small byte-level BPE tokenizer, trained here on a fixed text, for the synthetic models.

Real tokenizers cannot be shipped with the examples, and a made-up vocabulary without merges
would not exercise the tokenizer reader the way real files do; so this trains a genuine (tiny)
byte-level BPE and writes it in the Hugging Face ``tokenizer.json`` layout. Different training texts
give different, independent tokenizers.
"""

from __future__ import annotations

import json
from collections import Counter

CORPUS_OWN = (
    "the model was initialised from random weights and trained on our own data. "
    "every layer, every embedding and every encoder was trained by the team from the first step. "
    "sovereign models need their own architecture, their own data and their own training. "
) * 3
CORPUS_OTHER = (
    "a vision language model reads images with a vision encoder and text with a language model. "
    "the projector maps image features into the language model's embedding space. "
    "audio encoders turn speech into features the decoder can attend to. "
) * 3


def _byte_symbols() -> list[str]:
    """GPT-2's reversible byte -> printable character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    table = dict(zip(printable, chars))
    return [chr(table[b]) for b in range(256)]


def train_bpe(text: str, vocab_size: int) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Plain BPE over byte-level words; ties broken by pair order so the result is deterministic."""
    symbols = _byte_symbols()
    vocab = {s: i for i, s in enumerate(symbols)}
    words = Counter(tuple(symbols[b] for b in (" " + w).encode("utf-8")) for w in text.split())
    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size:
        pairs: Counter = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(c) for c in kv[0][0] + kv[0][1]]))[0]
        merges.append(best)
        vocab[best[0] + best[1]] = len(vocab)
        merged: Counter = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return vocab, merges


def tokenizer_json(text: str, vocab_size: int, specials: tuple[str, ...] = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")) -> str:
    vocab, merges = train_bpe(text, vocab_size - len(specials))
    added = [{"id": len(vocab) + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(specials)]
    data = {
        "version": "1.0",
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
