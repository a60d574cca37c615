"""Reading real tokenizers, and the same vocabulary through every supported format."""

from __future__ import annotations

import pytest
from tok_helpers import (
    fingerprint_of,
    ids_to_tokens,
    merge_strings,
    sentencepiece_bytes,
    tiktoken_text,
    write_tokenizer_json,
    write_vocab_and_merges,
)

from scanner.report.model import TokenizerRelation
from scanner.tokenizer import (
    GGUF_TOKENIZER_MODELS,
    TokenEncoding,
    TokenKind,
    fingerprint,
    load_tokenizer,
    relate,
    summarize,
    tokenizer_from_vocab,
)

# (model type, encoding, ids holding a token, added tokens, merges, first special token)
REAL = {
    "qwen3": ("BPE", TokenEncoding.BYTE_LEVEL, 151669, 26, 151387, "<|endoftext|>"),
    "llama3": ("BPE", TokenEncoding.BYTE_LEVEL, 128256, 256, 280147, "<|begin_of_text|>"),
    "llama3_1": ("BPE", TokenEncoding.BYTE_LEVEL, 128256, 256, 280147, "<|begin_of_text|>"),
    "llama2": ("BPE", TokenEncoding.METASPACE, 32000, 3, 58980, "<unk>"),
    "gemma3": ("BPE", TokenEncoding.METASPACE, 262145, 6415, 514906, "<pad>"),
    "deepseek_v3": ("BPE", TokenEncoding.BYTE_LEVEL, 128815, 818, 127741, "<｜begin▁of▁sentence｜>"),
    "gptoss": ("BPE", TokenEncoding.BYTE_LEVEL, 200019, 21, 446189, "<|startoftext|>"),
}


@pytest.mark.parametrize("tokenizer_id", sorted(REAL))
def test_real_tokenizers_read_with_their_published_sizes(real_loads, tokenizer_id):
    load = real_loads[tokenizer_id]
    assert load.status == "present" and load.problems == ()
    model_type, encoding, tokens, added, merges, first_special = REAL[tokenizer_id]
    summary = summarize(load.tokenizer)
    assert (summary.type, load.tokenizer.encoding, summary.vocab_size, summary.added_tokens, summary.merges) == (
        model_type, encoding, tokens, added, merges,
    )
    assert summary.special_tokens[0] == first_special
    assert summary.files == ("tokenizer.json", "tokenizer_config.json")


def test_byte_level_and_metaspace_tokens_become_their_bytes(real_loads):
    qwen = real_loads["qwen3"].tokenizer
    llama2 = real_loads["llama2"].tokenizer
    assert qwen.keys[220] == b" " and qwen.keys[198] == b"\n"  # 'Ġ' and 'Ċ'
    assert llama2.keys[13] == b"\n"  # '<0x0A>' byte piece
    assert llama2.keys[302] == b" of"  # '▁of'
    assert qwen.merges[0] == (b" ", b" ")  # merge ['Ġ', 'Ġ']


def test_special_tokens_in_summary_are_capped(real_loads):
    summary = summarize(real_loads["deepseek_v3"].tokenizer)
    assert summary.special_tokens_total > 800
    assert len(summary.special_tokens) == 64


def test_vocab_json_and_merges_txt_read_as_the_same_tokenizer(real_dirs, real_json, real_fps, tmp_path):
    files = write_vocab_and_merges(tmp_path, real_json("qwen3"), config_from=real_dirs["qwen3"])
    candidate = fingerprint_of(tmp_path, files)
    assert candidate.vocab_digest == real_fps["qwen3"].vocab_digest
    assert candidate.merges_digest == real_fps["qwen3"].merges_digest
    assert relate(candidate, real_fps["qwen3"]).relation is TokenizerRelation.IDENTICAL


def test_merges_as_strings_or_pairs_give_the_same_fingerprint(real_json, real_fps, tmp_path):
    data = real_json("qwen3")
    data["model"]["merges"] = merge_strings(data)
    candidate = fingerprint_of(tmp_path, write_tokenizer_json(tmp_path, data))
    assert candidate.merges_digest == real_fps["qwen3"].merges_digest


def test_gguf_arrays_give_the_same_fingerprint(real_json, real_fps):
    data = real_json("llama3")
    added = {entry["id"] for entry in data["added_tokens"]}
    tokens = ids_to_tokens(data)
    types = [TokenKind.CONTROL if i in added else TokenKind.NORMAL for i in range(len(tokens))]
    model_type, encoding = GGUF_TOKENIZER_MODELS["gpt2"]
    load = tokenizer_from_vocab(tokens, merge_strings(data), types, model_type=model_type, encoding=encoding,
                                file="model.gguf")
    assert load.status == "present"
    candidate = fingerprint(load.tokenizer)
    assert candidate.vocab_digest == real_fps["llama3"].vocab_digest
    assert relate(candidate, real_fps["llama3"]).relation is TokenizerRelation.IDENTICAL


def _llama2_pieces(data: dict) -> list[tuple[str, int]]:
    kinds = {"<unk>": TokenKind.UNKNOWN, "<s>": TokenKind.CONTROL, "</s>": TokenKind.CONTROL}
    return [
        (text, kinds.get(text, TokenKind.BYTE if text.startswith("<0x") else TokenKind.NORMAL))
        for text in ids_to_tokens(data)
    ]


def test_sentencepiece_model_reads_as_the_same_vocabulary(real_json, real_fps, tmp_path):
    (tmp_path / "tokenizer.model").write_bytes(sentencepiece_bytes(_llama2_pieces(real_json("llama2"))))
    load = load_tokenizer(tmp_path, ["tokenizer.model"])
    assert load.status == "present"
    assert (load.tokenizer.model_type, load.tokenizer.source_format, load.tokenizer.merges) == ("BPE", "sentencepiece", None)
    assert [text for _, text in load.tokenizer.special_tokens] == ["<unk>", "<s>", "</s>"]
    comparison = relate(fingerprint(load.tokenizer), real_fps["llama2"])
    assert comparison.relation is TokenizerRelation.IDENTICAL
    assert "merges not compared" in comparison.reason


def test_gguf_sentencepiece_arrays_read_as_the_same_vocabulary(real_json, real_fps):
    pieces = _llama2_pieces(real_json("llama2"))
    model_type, encoding = GGUF_TOKENIZER_MODELS["llama"]
    load = tokenizer_from_vocab([text for text, _ in pieces], None, [kind for _, kind in pieces],
                                model_type=model_type, encoding=encoding, file="llama-2.gguf")
    assert fingerprint(load.tokenizer).vocab_digest == real_fps["llama2"].vocab_digest


def test_tiktoken_rank_file_reads_as_the_base_vocabulary(real_loads, tmp_path):
    keys = list(real_loads["llama3"].tokenizer.keys[:128000])
    (tmp_path / "original").mkdir()
    (tmp_path / "original" / "tokenizer.model").write_text(tiktoken_text(keys), encoding="ascii")
    load = load_tokenizer(tmp_path, ["original/tokenizer.model"])
    assert load.status == "present"
    assert (load.tokenizer.source_format, load.tokenizer.encoding) == ("tiktoken", TokenEncoding.RAW_BYTES)
    assert load.tokenizer.keys == tuple(keys)


def test_sentencepiece_reader_agrees_with_the_sentencepiece_library(tmp_path):
    spm = pytest.importorskip("sentencepiece")
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"the quick brown fox {i} jumps over the lazy dog 한국어 {i % 7}" for i in range(300)),
                      encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(tmp_path / "spiece"), vocab_size=300, model_type="bpe",
        byte_fallback=True, user_defined_symbols=["<tool>"], minloglevel=2,
    )
    processor = spm.SentencePieceProcessor(model_file=str(tmp_path / "spiece.model"))
    tokenizer = load_tokenizer(tmp_path, ["spiece.model", "spiece.vocab", "corpus.txt"]).tokenizer
    assert tokenizer.model_type == "BPE" and len(tokenizer.keys) == processor.get_piece_size()
    for token_id in range(processor.get_piece_size()):
        piece = processor.id_to_piece(token_id)
        if processor.is_byte(token_id):
            assert tokenizer.keys[token_id] == bytes([int(piece[3:5], 16)])
        elif processor.is_control(token_id) or processor.is_unknown(token_id) or piece == "<tool>":
            assert tokenizer.keys[token_id] == piece.encode()
        else:
            assert tokenizer.keys[token_id] == piece.replace("\u2581", " ").encode()
    assert {text for _, text in tokenizer.special_tokens} == {"<unk>", "<s>", "</s>"}


def test_wordpiece_vocab_txt_and_tokenizer_json_agree(tmp_path):
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "##s", "cat", "dog", "##ing", "run"]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    (tmp_path / "a" / "special_tokens_map.json").write_text('{"unk_token": "[UNK]", "cls_token": "[CLS]"}')
    data = {"model": {"type": "WordPiece", "vocab": {w: i for i, w in enumerate(words)}, "unk_token": "[UNK]"},
            "added_tokens": [{"id": 1, "content": "[UNK]", "special": True}, {"id": 2, "content": "[CLS]", "special": True}]}
    from_txt = load_tokenizer(tmp_path / "a", ["vocab.txt", "special_tokens_map.json"]).tokenizer
    from_json = load_tokenizer(tmp_path / "b", write_tokenizer_json(tmp_path / "b", data)).tokenizer
    assert from_txt.keys == from_json.keys
    assert from_txt.special_tokens == from_json.special_tokens == ((1, "[UNK]"), (2, "[CLS]"))
    assert relate(fingerprint(from_txt), fingerprint(from_json)).relation is TokenizerRelation.IDENTICAL


def test_unigram_tokenizer_json_and_sentencepiece_model_agree(tmp_path):
    pieces = [("<unk>", TokenKind.UNKNOWN), ("<s>", TokenKind.CONTROL), ("</s>", TokenKind.CONTROL),
              ("\u2581the", TokenKind.NORMAL), ("s", TokenKind.NORMAL), ("<0x41>", TokenKind.BYTE)]
    (tmp_path / "sentencepiece.bpe.model").write_bytes(sentencepiece_bytes(pieces, model_type=1))
    data = {"pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581"},
            "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": True,
                      "vocab": [[text, -1.0] for text, _ in pieces]},
            "added_tokens": [{"id": 1, "content": "<s>", "special": True}, {"id": 2, "content": "</s>", "special": True}]}
    from_model = load_tokenizer(tmp_path, ["sentencepiece.bpe.model"]).tokenizer
    from_json = load_tokenizer(tmp_path / "j", write_tokenizer_json(tmp_path / "j", data)).tokenizer
    assert from_model.model_type == from_json.model_type == "Unigram"
    assert from_model.keys == from_json.keys == (b"<unk>", b"<s>", b"</s>", b" the", b"s", b"A")
    assert from_model.special_tokens == from_json.special_tokens


def test_the_shallowest_folder_and_the_best_format_win(real_dirs, tmp_path):
    (tmp_path / "original").mkdir()
    (tmp_path / "original" / "tokenizer.model").write_text("garbage that is never read", encoding="ascii")
    (tmp_path / "tokenizer.json").write_bytes((real_dirs["llama2"] / "tokenizer.json").read_bytes())
    (tmp_path / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    load = load_tokenizer(tmp_path, ["original/tokenizer.model", "vocab.txt", "tokenizer.json"])
    assert load.status == "present" and load.problems == ()
    assert load.tokenizer.files == ("tokenizer.json",)


def test_no_tokenizer_files_is_absent(tmp_path):
    load = load_tokenizer(tmp_path, ["config.json", "tokenizer_config.json", "model.safetensors"])
    assert (load.status, load.tokenizer, load.problems) == ("absent", None, ())


def test_a_lone_vocab_json_is_a_word_level_vocabulary(tmp_path):
    (tmp_path / "vocab.json").write_text('{"<pad>": 0, "a": 1, "b": 2, "|": 3}', encoding="utf-8")
    (tmp_path / "special_tokens_map.json").write_text('{"pad_token": "<pad>"}', encoding="utf-8")
    load = load_tokenizer(tmp_path, ["vocab.json", "special_tokens_map.json"])
    assert load.status == "present"
    tokenizer = load.tokenizer
    assert (tokenizer.model_type, tokenizer.source_format, tokenizer.merges) == ("WordLevel", "vocab.json", None)
    assert tokenizer.keys == (b"<pad>", b"a", b"b", b"|") and tokenizer.special_tokens == ((0, "<pad>"),)


def test_gguf_arrays_may_be_numpy_arrays():
    import numpy as np

    tokens = np.array(["<s>", "\u2581a", "<0x41>"])
    types = np.array([TokenKind.CONTROL, TokenKind.NORMAL, TokenKind.BYTE], dtype=np.int32)
    model_type, encoding = GGUF_TOKENIZER_MODELS["llama"]
    load = tokenizer_from_vocab(tokens, None, types, model_type=model_type, encoding=encoding, file="m.gguf")
    assert load.status == "present"
    assert load.tokenizer.keys == (b"<s>", b" a", b"A") and load.tokenizer.special_tokens == ((0, "<s>"),)
