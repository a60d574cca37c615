import json

from scanner.parse.card import parse_card
from scanner.parse.config import parse_config, split_sections
from scanner.parse.repo import parse_repo
from scanner.walk.walker import walk

from helpers import tiny_repo


def test_config_sections_for_multimodal_configs():
    config = {"model_type": "llava", "text_config": {"model_type": "llama", "hidden_size": 8},
              "vision_config": {"model_type": "clip_vision_model", "hidden_size": 4},
              "audio_config": {"model_type": "whisper", "d_model": 2}}
    sections = {s.component: s for s in split_sections(config)}
    assert sections["text"].path == "text_config" and sections["text"].model_type == "llama"
    assert sections["vision"].path == "vision_config" and sections["audio"].hyperparameters["d_model"] == 2


def test_config_llm_config_and_thinker_wrapper():
    internvl = {"model_type": "internvl_chat", "llm_config": {"model_type": "qwen2"}, "vision_config": {"model_type": "intern_vit_6b"}}
    assert {s.component: s.path for s in split_sections(internvl)} == {"text": "llm_config", "vision": "vision_config"}
    omni = {"model_type": "qwen2_5_omni", "thinker_config": {"text_config": {}, "audio_config": {}, "vision_config": {}}}
    assert [s.path for s in split_sections(omni)] == ["thinker_config.text_config", "thinker_config.vision_config",
                                                      "thinker_config.audio_config"]


def test_config_top_level_language_model_and_whisper():
    facts = parse_config({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
                          "auto_map": {"AutoModel": "modeling_x.X"}, "_name_or_path": "meta-llama/Llama-2-7b-hf"}, "config.json")
    assert [s.component for s in facts.sections] == ["text"]
    assert facts.name_or_path == "meta-llama/Llama-2-7b-hf" and facts.auto_map == {"AutoModel": "modeling_x.X"}
    whisper = {s.component: s for s in split_sections({"model_type": "whisper", "d_model": 1280, "encoder_layers": 32,
                                                       "decoder_layers": 4, "num_mel_bins": 128, "vocab_size": 51866})}
    assert whisper["audio"].hyperparameters["encoder_layers"] == 32 and "decoder_layers" not in whisper["audio"].hyperparameters
    assert whisper["text"].hyperparameters["decoder_layers"] == 4


def test_card_front_matter_and_text(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("---\nlicense: other\nlicense_name: qwen\nlicense_link: LICENSE\nbase_model:\n- Qwen/Qwen2.5-7B\n"
                    "base_model_relation: finetune\ndatasets: [a/b]\nlanguage: ko\ntags: [x, y]\n---\n# Title\nBody\n",
                    encoding="utf-8")
    card, problems = parse_card(path, "README.md")
    assert problems == []
    assert (card.license, card.license_name, card.license_link) == ("other", "qwen", "LICENSE")
    assert card.base_model == ("Qwen/Qwen2.5-7B",) and card.base_model_relation == "finetune"
    assert card.datasets == ("a/b",) and card.language == ("ko",) and card.tags == ("x", "y")
    assert card.text == "# Title\nBody"


def test_card_malformed_base_model_is_a_warning(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("---\nbase_model: {name: x}\nlicense: 3\n---\nText", encoding="utf-8")
    card, problems = parse_card(path, "README.md")
    assert card.base_model == () and card.license is None
    assert {p.code for p in problems} == {"card.field-type"}


def test_card_billion_laughs_is_refused(tmp_path):
    path = tmp_path / "README.md"
    path.write_text("---\na: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n---\nText", encoding="utf-8")
    card, problems = parse_card(path, "README.md")
    assert card.text == "Text" and card.license is None
    assert problems[0].code == "card.front-matter" and "aliases" in problems[0].message


def test_safetensors_headers_components_and_name_hints(tmp_path):
    parsed = parse_repo(walk(tiny_repo(tmp_path)))
    assert parsed.problems == ()
    names = {t.name: t for t in parsed.tensors}
    q = names["model.layers.0.self_attn.q_proj.weight"]
    assert q.dtype == "F32" and q.shape == (64, 64) and q.end - q.start == 64 * 64 * 4
    assert parsed.config.name_or_path == "someone/base-model"


def test_sharded_index_missing_shard_and_missing_tensor(tmp_path):
    repo = tiny_repo(tmp_path)
    (repo / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "model.embed_tokens.weight": "model.safetensors", "not.there": "model.safetensors",
        "other.weight": "model-00002-of-00002.safetensors"}}), encoding="utf-8")
    parsed = parse_repo(walk(repo))
    codes = {p.code: p.message for p in parsed.problems}
    assert "model-00002-of-00002.safetensors" in codes["safetensors.missing-shard"]
    assert "not.there" in codes["safetensors.index-mismatch"]


def test_card_front_matter_edge_cases(tmp_path):
    def parsed(name, text):
        (tmp_path / name).write_bytes(text.encode("utf-8"))
        return parse_card(tmp_path / name, name)

    facts, problems = parsed("unclosed.md", "---\nlicense: mit\nbase_model: X\n# Title\n")
    assert facts.license is None and [p.code for p in problems] == ["card.front-matter"]
    assert "no closing '---'" in problems[0].message
    facts, problems = parsed("bom.md", "\ufeff---\nlicense: mit\n---\n# Title\n")
    assert facts.license == "mit" and facts.text == "# Title" and problems == []
    facts, problems = parsed("empty.md", "---\n---\n# Title\n")
    assert facts.license is None and facts.text == "# Title" and problems == []
    facts, _ = parsed("rule.md", "---\nlicense: apache-2.0\n---\nbody\n---\nmore\n")
    assert facts.license == "apache-2.0" and facts.text == "body\n---\nmore"


def test_architectures_given_as_one_string():
    assert parse_config({"model_type": "llama", "architectures": "LlamaForCausalLM"}, "config.json").architectures == (
        "LlamaForCausalLM",)
