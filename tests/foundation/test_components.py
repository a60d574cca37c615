import pytest

from scanner.components import CONVENTIONS, assign, assign_all
from scanner.parse.config import parse_config


@pytest.mark.parametrize("name, component", [
    ("model.layers.0.self_attn.q_proj.weight", "text"),
    ("model.embed_tokens.weight", "text"),
    ("lm_head.weight", "text"),
    ("model.language_model.layers.3.mlp.up_proj.weight", "text"),
    ("language_model.model.layers.0.self_attn.q_proj.weight", "text"),
    ("llm.model.layers.0.self_attn.q_proj.weight", "text"),
    ("visual.blocks.0.attn.qkv.weight", "vision"),
    ("model.visual.blocks.0.attn.qkv.weight", "vision"),
    ("visual.merger.mlp.0.weight", "projector"),
    ("vision_model.encoder.layers.0.self_attn.k_proj.weight", "vision"),
    ("vision_tower.vision_model.embeddings.patch_embedding.weight", "vision"),
    ("model.vision_tower.blocks.0.weight", "vision"),
    ("multi_modal_projector.linear_1.weight", "projector"),
    ("mlp1.1.weight", "projector"),
    ("model.mm_projector.0.weight", "projector"),
    ("audio_tower.layers.0.fc1.weight", "audio"),
    ("embeddings.word_embeddings.weight", "text"),
    ("encoder.layer.0.attention.self.query.weight", "text"),
    ("something.else", "other"),
])
def test_prefix_table(name, component):
    assert assign(name, audio_encoder=False)[0] == component


def test_encoder_prefix_depends_on_config():
    whisper = parse_config({"model_type": "whisper", "d_model": 8, "encoder_layers": 1}, "config.json")
    t5 = parse_config({"model_type": "t5", "d_model": 8, "num_layers": 1}, "config.json")
    name = "model.encoder.layers.0.self_attn.q_proj.weight"
    assert assign_all([name], whisper)[name][0] == "audio"
    assert assign_all([name], t5)[name][0] == "text"


def test_conventions_are_documented_in_the_module_doc():
    import scanner.components as components

    for convention in CONVENTIONS:
        assert f"``{convention.prefix}``" in components.__doc__
