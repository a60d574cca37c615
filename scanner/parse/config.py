"""config.json into per-component sections.

Multimodal configs nest one sub-config per component. The split below is the one both candidates
and catalog entries go through, so "the vision part of this config" means the same thing on both
sides of a comparison.

| component | keys recognised (at top level, or inside a ``thinker_config``-style wrapper) |
|---|---|
| text      | ``text_config``, ``llm_config``, ``language_config``, ``text_model_config``, ``decoder_config``; else the top level itself |
| vision    | ``vision_config``, ``vision_tower_config``, ``visual``, ``vision_model_config``, ``image_config``, ``vit_config`` |
| audio     | ``audio_config``, ``audio_encoder_config``, ``speech_config``, ``whisper_config``, ``audio_tower_config`` |
| projector | ``projector_config``, ``mm_projector_config``, ``connector_config`` |

Two special cases: a top level whose ``model_type`` is a vision-only model (``siglip_vision_model``,
``clip_vision_model``, ``vit``…) is the vision component; a Whisper-style encoder-decoder top level
is split into ``audio`` (the ``encoder_*`` settings, ``num_mel_bins``…) and ``text`` (``decoder_*``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.report.model import ConfigFacts, ConfigSection

SUBCONFIG_KEYS: dict[str, str] = {
    "text_config": "text",
    "llm_config": "text",
    "language_config": "text",
    "text_model_config": "text",
    "decoder_config": "text",
    "vision_config": "vision",
    "vision_tower_config": "vision",
    "visual": "vision",
    "vision_model_config": "vision",
    "image_config": "vision",
    "vit_config": "vision",
    "audio_config": "audio",
    "audio_encoder_config": "audio",
    "speech_config": "audio",
    "whisper_config": "audio",
    "audio_tower_config": "audio",
    "projector_config": "projector",
    "mm_projector_config": "projector",
    "connector_config": "projector",
}

WRAPPER_KEYS = ("thinker_config",)

VISION_ONLY_TYPES = frozenset({
    "siglip_vision_model", "siglip2_vision_model", "clip_vision_model", "vit", "dinov2", "intern_vit_6b",
    "qwen2_5_vl_vision", "qwen2_vl_vision", "pixtral", "idefics3_vision",
})
AUDIO_ENCODER_DECODER_TYPES = frozenset({"whisper", "speech_to_text", "qwen2_audio_encoder"})

_WHISPER_AUDIO_KEYS = ("num_mel_bins", "max_source_positions", "d_model", "scale_embedding", "activation_function")
_WHISPER_TEXT_KEYS = ("vocab_size", "max_target_positions", "d_model", "pad_token_id", "bos_token_id", "eos_token_id")


def parse_config(data: Mapping[str, Any], file: str) -> ConfigFacts:
    """Facts from a parsed config.json object."""
    auto_map = data.get("auto_map")
    return ConfigFacts(
        file=file,
        model_type=_str_or_none(data.get("model_type")),
        architectures=_names(data.get("architectures")),
        name_or_path=_str_or_none(data.get("_name_or_path")),
        auto_map={str(k): str(v) for k, v in auto_map.items()} if isinstance(auto_map, dict) else {},
        sections=tuple(split_sections(data)),
    )


def _names(value: Any) -> tuple[str, ...]:
    """``architectures`` as a tuple of names; a single name written as a string counts as one."""
    if isinstance(value, str):
        return (value,)
    return tuple(a for a in value if isinstance(a, str)) if isinstance(value, (list, tuple)) else ()


def split_sections(data: Mapping[str, Any]) -> list[ConfigSection]:
    """One section per component found in the config, text first."""
    found: dict[str, ConfigSection] = {}
    containers: list[tuple[str, Mapping[str, Any]]] = [("", data)]
    containers += [(key, data[key]) for key in WRAPPER_KEYS if isinstance(data.get(key), Mapping)]
    for prefix, container in containers:
        for key, component in SUBCONFIG_KEYS.items():
            sub = container.get(key)
            if isinstance(sub, Mapping) and component not in found:
                path = f"{prefix}.{key}" if prefix else key
                found[component] = _section(component, path, sub)
    top_type = _str_or_none(data.get("model_type"))
    top = {k: v for k, v in data.items() if k not in SUBCONFIG_KEYS and k not in WRAPPER_KEYS}
    if top_type in AUDIO_ENCODER_DECODER_TYPES:
        found.setdefault("audio", _section("audio", "", _prefixed(top, "encoder_", _WHISPER_AUDIO_KEYS), top_type))
        found.setdefault("text", _section("text", "", _prefixed(top, "decoder_", _WHISPER_TEXT_KEYS), top_type))
    elif top_type in VISION_ONLY_TYPES:
        found.setdefault("vision", _section("vision", "", top, top_type))
    elif "text" not in found and _looks_like_language_model(top):
        found["text"] = _section("text", "", top, top_type)
    order = ("text", "vision", "audio", "projector")
    return [found[c] for c in order if c in found]


def _section(component: str, path: str, values: Mapping[str, Any], model_type: str | None = None) -> ConfigSection:
    hyper = {str(k): v for k, v in values.items() if not isinstance(v, Mapping) or k in ("rope_scaling", "quantization_config")}
    return ConfigSection(
        component=component,
        path=path,
        model_type=model_type if model_type is not None else _str_or_none(values.get("model_type")),
        hyperparameters=dict(sorted(hyper.items())),
    )


def _prefixed(top: Mapping[str, Any], prefix: str, shared: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in top.items() if k.startswith(prefix) or k in shared}


def _looks_like_language_model(top: Mapping[str, Any]) -> bool:
    keys = set(top)
    return bool(keys & {"vocab_size", "num_hidden_layers", "n_layer", "num_layers", "hidden_size", "n_embd", "d_model"})


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
