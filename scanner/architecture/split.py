"""config.json into one sub-config per component, ready for ``signature_of``.

The split itself is ``scanner.parse.config.split_sections``, the one the scan uses, so "the vision
part of this config" means the same on the candidate's side and the catalog's. Without a text
sub-config the top level minus its sub-configs is the text component. A Whisper-style
encoder-decoder top level gives ``audio`` (the ``encoder_*`` settings, ``num_mel_bins``,
``max_source_positions``) and ``text`` (the ``decoder_*`` settings, ``vocab_size``,
``max_target_positions``); a vision-only ``model_type`` (``siglip_vision_model``,
``intern_vit_6b``...) is the vision component.

Three additions here, all because a signature needs them:

* a top level whose ``architectures`` name only a vision tower (``Qwen2_5_VisionTransformer
  PretrainedModel``, ``SiglipVisionModel``...) is the vision component, whatever its
  ``model_type`` says. Vision encoders exported on their own keep the parent VLM's ``model_type``
  (``qwen2_5_vl``), which would otherwise read as a language model.
* a sub-config without ``model_type`` inherits the top level's. Qwen2.5-VL's Hub config declares
  its vision tower without one; the family then comes from the model it sits in.
* transformers 5 writes ``rope_theta`` inside a nested ``rope_parameters`` mapping, which the
  shared split drops with the other nested mappings; it is carried over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scanner.parse.config import SUBCONFIG_KEYS, WRAPPER_KEYS, split_sections

COMPONENT_ORDER = ("text", "vision", "audio", "projector")

# The recognised keys come from the shared split, so this table cannot drift from it.
__doc__ += "\nSub-config keys recognised (also inside " + ", ".join(f"``{k}``" for k in WRAPPER_KEYS) + "):\n\n"
__doc__ += "| component | keys |\n|---|---|\n" + "\n".join(
    f"| {component} | " + ", ".join(f"``{k}``" for k, c in SUBCONFIG_KEYS.items() if c == component) + " |"
    for component in COMPONENT_ORDER
) + "\n"

_NESTED_KEPT = ("rope_parameters",)
_SHARED_NESTED_KEPT = ("rope_scaling", "quantization_config")  # what split_sections keeps
_VISION_TOWER_CLASS = re.compile(r"Vision(Transformer|Model|Encoder|Tower)|ViTModel")
_WHOLE_MODEL_CLASS = re.compile(r"(For(CausalLM|ConditionalGeneration)|LMHeadModel|ChatModel)$")


def split_config(config: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Component name -> that component's settings (read-only), in text, vision, audio, projector order.

    Nested mappings other than ``rope_scaling``, ``rope_parameters`` and ``quantization_config``
    are dropped; each returned mapping carries the ``model_type`` its family is read from.
    """
    top_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    if _is_vision_tower(config):
        top = {k: v for k, v in config.items() if k not in SUBCONFIG_KEYS and k not in WRAPPER_KEYS}
        kept = (*_SHARED_NESTED_KEPT, *_NESTED_KEPT)
        scalars = {k: v for k, v in top.items() if not isinstance(v, Mapping) or k in kept}
        return {"vision": MappingProxyType(scalars)}
    out: dict[str, Mapping[str, Any]] = {}
    for section in split_sections(config):
        values = dict(section.hyperparameters)
        values["model_type"] = section.model_type or top_type
        original = _at_path(config, section.path)
        for key in _NESTED_KEPT:
            if isinstance(original.get(key), Mapping):
                values[key] = original[key]
        out[section.component] = MappingProxyType(values)
    return {component: out[component] for component in COMPONENT_ORDER if component in out}


def _at_path(config: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The mapping a section was read from (``''`` is the top level, ``a.b`` is nested)."""
    here: Any = config
    for part in filter(None, path.split(".")):
        here = here.get(part) if isinstance(here, Mapping) else None
    return here if isinstance(here, Mapping) else {}


def _is_vision_tower(config: Mapping[str, Any]) -> bool:
    """Whether the top level declares a vision encoder and nothing else."""
    architectures = [a for a in config.get("architectures") or () if isinstance(a, str)]
    if not architectures or any(_WHOLE_MODEL_CLASS.search(a) for a in architectures):
        return False
    has_subconfigs = any(isinstance(config.get(key), Mapping) for key in SUBCONFIG_KEYS)
    return not has_subconfigs and all(_VISION_TOWER_CLASS.search(a) for a in architectures)
