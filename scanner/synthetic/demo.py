"""The bundled demonstration: a made-up published VLM, and two model repositories that relate to it.

* ``fromscratch-demo-vl`` stands in for a published vision-language model (its vision section
  declares ``model_type: qwen2_5_vl`` with a scaled-down Qwen2.5-VL layout). Only its fingerprint
  ships, in the bundled catalog, marked ``synthetic``.
* ``examples/independent-lm``: a language model trained "from scratch" — same recipe (same shapes,
  norm gains near 1, same per-layer std profile), independent weights, its own tokenizer.
* ``examples/hcx-mini``: the January 2026 case in miniature — its language model is its own, but its
  vision encoder and audio encoder are the demo model's weights, copied and stored as BF16.

Everything is generated from fixed seeds, so the files are the same bytes on every machine.
"""

from __future__ import annotations

from pathlib import Path

from scanner.bundled import data_path
from scanner.synthetic import models as M
from scanner.synthetic.repo import write_repo
from scanner.synthetic.tokenizer import CORPUS_OTHER, CORPUS_OWN, tokenizer_json

DEMO_ID = "fromscratch-demo-vl"
TEXT = M.TextSpec(hidden=64, layers=4, heads=4, kv_heads=2, intermediate=128, vocab=512)
VISION = M.VisionSpec(hidden=64, depth=4, heads=4, intermediate=128, out_hidden=64)
AUDIO = M.AudioSpec(d_model=64, layers=4, heads=4, ffn=128, mel_bins=32)
SEEDS = {"demo-text": 1001, "demo-vision": 1002, "demo-audio": 1003, "own-text": 2001, "independent-text": 3001}

APACHE_LICENSE = data_path("licenses", "texts", "apache-2.0.txt")


def _vl_config(text: M.TextSpec) -> dict:
    config = M.text_config(text, model_type="qwen2_5_vl")
    config["architectures"] = ["Qwen2_5_VLForConditionalGeneration"]
    config["vision_config"] = M.vision_config(VISION)
    config["audio_config"] = M.audio_config(AUDIO)
    return config


def demo_reference(root: Path) -> Path:
    """The published model the examples borrow from (its repository is built, fingerprinted, then discarded)."""
    tensors = {**M.text_model(TEXT, SEEDS["demo-text"]), **M.vision_tower(VISION, SEEDS["demo-vision"]),
               **M.audio_encoder(AUDIO, SEEDS["demo-audio"])}
    card = ("---\nlicense: apache-2.0\npipeline_tag: image-text-to-text\n---\n"
            "# fromscratch demo VL\n\nA synthetic stand-in for a published vision-language model.\n")
    return write_repo(root, tensors, _vl_config(TEXT), card=card, license_text=APACHE_LICENSE.read_text(encoding="utf-8"),
                      extra_files={"tokenizer.json": tokenizer_json(CORPUS_OTHER, TEXT.vocab)})


def independent_lm(root: Path) -> Path:
    tensors = M.text_model(TEXT, SEEDS["independent-text"])
    card = ("---\nlicense: apache-2.0\nlanguage: [en, ko]\ntags: [from-scratch]\n---\n"
            "# Independent LM (example)\n\nA small language model initialised from random weights and trained "
            "by its team. Its architecture follows the common Qwen2 recipe, and its norm gains and per-layer "
            "weight statistics look like every other model's of that recipe, which is exactly why they prove "
            "nothing.\n")
    return write_repo(root, tensors, M.text_config(TEXT), card=card, license_text=APACHE_LICENSE.read_text(encoding="utf-8"),
                      extra_files={"tokenizer.json": tokenizer_json(CORPUS_OWN, TEXT.vocab)})


def hcx_mini(root: Path) -> Path:
    """Own language model; vision and audio encoders copied from the demo reference."""
    tensors = {**M.text_model(TEXT, SEEDS["own-text"]), **M.vision_tower(VISION, SEEDS["demo-vision"]),
               **M.audio_encoder(AUDIO, SEEDS["demo-audio"])}
    card = ("---\nlicense: apache-2.0\nlanguage: [ko, en]\ntags: [vision-language, sovereign-ai]\n---\n"
            "# HCX-mini (example)\n\nOur own multimodal foundation model: the language model (the \"brain\") "
            "is 100% our own. 자체 개발한 멀티모달 파운데이션 모델입니다.\n")
    return write_repo(root, tensors, _vl_config(TEXT), card=card, license_text=APACHE_LICENSE.read_text(encoding="utf-8"),
                      extra_files={"tokenizer.json": tokenizer_json(CORPUS_OWN, TEXT.vocab)})
