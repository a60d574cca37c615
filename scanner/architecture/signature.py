"""A component's architecture signature: its family and canonical hyper-parameters.

A signature is built from one component's sub-config (see ``split_config``). Values are normalised
so that equal architectures give equal signatures whatever the config's dialect: aliases map to one
canonical name, lists become tuples, and integral floats become ints (``rope_theta`` is written
``1000000`` in some configs and ``1000000.0`` in others).

Families are normalised ``model_type`` values. A few families publish the same implementation under
two names, depending on where the sub-config sits or which transformers version saved it; those are
joined by ``FAMILY_ALIASES``, per component, and nothing else is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.architecture.hyperparameters import BY_NAME, FAMILY_KEY_RENAMES, HYPERPARAMETERS, MOE_SETTINGS, HyperParameter

Value = int | float | str | bool | tuple[Any, ...]

UNKNOWN_FAMILY = "unknown"

# (component, declared model_type) -> family. Only names for one and the same implementation.
FAMILY_ALIASES: dict[tuple[str, str], str] = {
    # Qwen2.5-VL's vision tower: Hub configs say qwen2_5_vl; transformers names the class qwen2_5_vl_vision.
    ("vision", "qwen2_5_vl"): "qwen2_5_vl_vision",
    ("vision", "qwen2_5_vl_vision"): "qwen2_5_vl_vision",
    ("vision", "qwen2_vl"): "qwen2_vl_vision",
    ("vision", "qwen2_vl_vision"): "qwen2_vl_vision",
    ("vision", "qwen3_vl"): "qwen3_vl_vision",
    ("vision", "qwen3_vl_vision"): "qwen3_vl_vision",
    # SigLIP and CLIP towers, standalone or nested.
    ("vision", "siglip"): "siglip_vision",
    ("vision", "siglip_vision_model"): "siglip_vision",
    ("vision", "clip"): "clip_vision",
    ("vision", "clip_vision_model"): "clip_vision",
    ("vision", "mllama"): "mllama_vision",
    ("vision", "mllama_vision_model"): "mllama_vision",
    ("vision", "llama4"): "llama4_vision",
    ("vision", "llama4_vision_model"): "llama4_vision",
    # Text decoders nested in multimodal configs, written either way.
    ("text", "qwen2_5_vl_text"): "qwen2_5_vl",
    ("text", "qwen2_vl_text"): "qwen2_vl",
    ("text", "qwen3_vl_text"): "qwen3_vl",
    ("text", "gemma3_text"): "gemma3",
    ("text", "mllama_text_model"): "mllama",
    ("text", "llama4_text"): "llama4",
    ("text", "siglip_text_model"): "siglip",
    ("text", "clip_text_model"): "clip",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchitectureSignature:
    """One component's family and canonical hyper-parameters, sorted by name.

    ``declared_model_type`` is what the config said before aliasing, kept for reports.
    """

    component: str
    family: str
    declared_model_type: str | None
    hyperparameters: tuple[tuple[str, Value], ...]

    def get(self, name: str) -> Value | None:
        """The value of one canonical hyper-parameter, or None when the config did not declare it."""
        return dict(self.hyperparameters).get(name)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping, keys in a stable order."""
        return {
            "component": self.component,
            "family": self.family,
            "declared_model_type": self.declared_model_type,
            "hyperparameters": {name: _jsonable(value) for name, value in self.hyperparameters},
        }


def normalise_family(component: str, model_type: object) -> str:
    """The family a component's ``model_type`` belongs to (lower-case, aliases joined)."""
    if not isinstance(model_type, str) or not model_type.strip():
        return UNKNOWN_FAMILY
    declared = model_type.strip().lower().replace("-", "_")
    return FAMILY_ALIASES.get((component, declared), declared)


def signature_of(component: str, sub_config: Mapping[str, Any]) -> ArchitectureSignature:
    """The signature of one component, from its sub-config as ``split_config`` returns it."""
    model_type = sub_config.get("model_type")
    declared = model_type if isinstance(model_type, str) else None
    family = normalise_family(component, declared)
    renames = FAMILY_KEY_RENAMES.get((component, (declared or "").lower()), {})
    values = {renames.get(str(k), str(k)): v for k, v in sub_config.items()}
    found = dict(_canonical_values(component, values))
    return ArchitectureSignature(
        component=component,
        family=family,
        declared_model_type=declared,
        hyperparameters=tuple(sorted(found.items())),
    )


def _canonical_values(component: str, values: Mapping[str, Any]) -> Iterator[tuple[str, Value]]:
    for hp in HYPERPARAMETERS:
        if not hp.applies_to(component):
            continue
        value = _first_present(hp, values)
        if value is not None:
            yield hp.name, value
    yield from _rope_values(values)


def _first_present(hp: HyperParameter, values: Mapping[str, Any]) -> Value | None:
    if hp.name == "sliding_window" and values.get("use_sliding_window") is False:
        return None  # Qwen2-style configs carry a window size but switch it off
    if hp.name in MOE_SETTINGS and values.get("use_moe") is False:
        return None
    for alias in hp.aliases:
        value = _normalise(values.get(alias))
        if value is not None:
            return value
    return None


def _rope_values(values: Mapping[str, Any]) -> Iterator[tuple[str, Value]]:
    """Position-scaling settings, from ``rope_scaling`` or transformers 5's ``rope_parameters``; ChatGLM and
    GLM-4 configs give the rotary base as ``rope_ratio``, a multiple of the default base 10000."""
    ratio = _normalise(values.get("rope_ratio"))
    if isinstance(ratio, (int, float)) and not isinstance(ratio, bool) and not any(
            a in values for a in BY_NAME["rope_theta"].aliases):
        yield "rope_theta", _normalise(10000 * ratio)
    for key in ("rope_scaling", "rope_parameters"):
        rope = values.get(key)
        if not isinstance(rope, Mapping):
            continue
        if "rope_theta" not in values:
            theta = _normalise(rope.get("rope_theta"))
            if theta is not None:
                yield "rope_theta", theta
        kind = _normalise(rope.get("rope_type", rope.get("type")))
        if kind is not None and kind != "default":
            yield "rope_scaling_type", kind
        for name, source in (
            ("rope_scaling_factor", "factor"),
            ("original_max_position_embeddings", "original_max_position_embeddings"),
        ):
            value = _normalise(rope.get(source))
            if value is not None and name not in values:
                yield name, value
        return


def _normalise(value: Any) -> Value | None:
    if value is None or isinstance(value, Mapping):
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list | tuple):
        return tuple(_normalise(item) for item in value)
    return None


def _jsonable(value: Value) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, tuple) else value

