"""Split a model's tensors into components: language model, vision encoder, audio encoder, projector.

Reuse disputes are about components (the January 2026 case was one vision encoder inside a 33B
model), and a whole-model score would dilute a copied 0.6B encoder to nothing. So every tensor is
assigned to a component by its name prefix, first match wins, using this table of the conventions
we recognise:

| prefix | component | convention |
|---|---|---|
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.parse.config import AUDIO_ENCODER_DECODER_TYPES
from scanner.report.model import ConfigFacts

COMPONENTS = ("text", "vision", "audio", "projector", "other")


@dataclass(frozen=True, slots=True)
class Convention:
    """One tensor-name prefix and the component it marks."""

    prefix: str
    component: str
    seen_in: str


CONVENTIONS: tuple[Convention, ...] = (
    # projectors first: some sit under a vision prefix (Qwen2-VL's merger is ``visual.merger``)
    Convention("visual.merger.", "projector", "Qwen2-VL / Qwen2.5-VL patch merger"),
    Convention("model.visual.merger.", "projector", "Qwen2.5-VL (transformers >= 4.52 layout)"),
    Convention("multi_modal_projector.", "projector", "LLaVA, Gemma 3, Mistral 3, Llama 4"),
    Convention("model.multi_modal_projector.", "projector", "LLaVA, Gemma 3 (new layout)"),
    Convention("mm_projector.", "projector", "LLaVA 1.5 original, HyperCLOVA X"),
    Convention("model.mm_projector.", "projector", "LLaVA 1.5, HyperCLOVA X"),
    Convention("mlp1.", "projector", "InternVL"),
    Convention("connector.", "projector", "Idefics3, SmolVLM"),
    Convention("model.connector.", "projector", "Idefics3, SmolVLM"),
    Convention("aligner.", "projector", "DeepSeek-VL"),
    Convention("audio_projector.", "projector", "audio-language models"),
    Convention("model.audio_projector.", "projector", "audio-language models"),
    Convention("visual_projection.", "projector", "CLIP image projection"),
    # vision encoders
    Convention("visual.", "vision", "Qwen-VL, Qwen2-VL, Qwen2.5-VL"),
    Convention("model.visual.", "vision", "Qwen2.5-VL (transformers >= 4.52 layout)"),
    Convention("vision_model.", "vision", "SigLIP, CLIP, Idefics, HyperCLOVA X"),
    Convention("model.vision_model.", "vision", "HyperCLOVA X SEED, Idefics3"),
    Convention("vision_tower.", "vision", "LLaVA, Gemma 3, Pixtral, InternVL (HF)"),
    Convention("model.vision_tower.", "vision", "LLaVA, Gemma 3 (new layout)"),
    Convention("vision_encoder.", "vision", "various VLMs"),
    Convention("model.vision_encoder.", "vision", "various VLMs"),
    Convention("vision.", "vision", "generic"),
    Convention("vit.", "vision", "ViT"),
    Convention("image_encoder.", "vision", "various VLMs"),
    Convention("vpm.", "vision", "MiniCPM-V"),
    # audio encoders
    Convention("audio_tower.", "audio", "Qwen2-Audio, Qwen2.5-Omni"),
    Convention("model.audio_tower.", "audio", "Qwen2-Audio (new layout)"),
    Convention("audio_model.", "audio", "various"),
    Convention("audio_encoder.", "audio", "various"),
    Convention("model.audio_encoder.", "audio", "various"),
    Convention("apm.", "audio", "MiniCPM-o"),
    # language models
    Convention("model.language_model.", "text", "Gemma 3, LLaVA, Qwen2.5-VL (new layout)"),
    Convention("language_model.", "text", "LLaVA, Gemma 3, InternVL (HF), HyperCLOVA X"),
    Convention("llm.", "text", "InternVL, MiniCPM-V"),
    Convention("model.text_model.", "text", "Idefics3"),
    Convention("text_model.", "text", "CLIP / SigLIP text tower"),
    Convention("text_projection.", "text", "CLIP text projection"),
    Convention("model.layers.", "text", "Llama, Qwen2, Mistral, Gemma style"),
    Convention("model.embed_tokens.", "text", "Llama, Qwen2, Mistral, Gemma style"),
    Convention("model.norm.", "text", "Llama, Qwen2, Mistral, Gemma style"),
    Convention("model.rotary_emb.", "text", "Llama-style rotary buffers"),
    Convention("lm_head.", "text", "causal-LM output head"),
    Convention("transformer.", "text", "GPT-2, Falcon, ChatGLM, Qwen v1"),
    Convention("gpt_neox.", "text", "GPT-NeoX, Pythia"),
    Convention("embed_out.", "text", "GPT-NeoX output head"),
    Convention("model.decoder.", "text", "OPT, Whisper decoder"),
    Convention("decoder.", "text", "encoder-decoder decoders"),
    Convention("proj_out.", "text", "Whisper output projection"),
    Convention("bert.", "text", "BERT"),
    Convention("embeddings.", "text", "BERT, MiniLM (sentence-transformers)"),
    Convention("encoder.layer.", "text", "BERT, MiniLM (sentence-transformers)"),
    Convention("pooler.", "text", "BERT pooler"),
    Convention("layers.", "text", "Meta original checkpoints (consolidated)"),
    Convention("tok_embeddings.", "text", "Meta original checkpoints"),
    Convention("norm.", "text", "Meta original checkpoints"),
    Convention("output.", "text", "Meta original checkpoints"),
)

# Encoder prefixes are the audio encoder in speech models (Whisper) and the text encoder elsewhere.
ENCODER_PREFIXES = ("model.encoder.", "encoder.")

# The table rows come from CONVENTIONS, so the documentation cannot drift from the code.
__doc__ += "\n".join(f"| ``{c.prefix}`` | {c.component} | {c.seen_in} |" for c in CONVENTIONS) + (
    "\n| ``model.encoder.``, ``encoder.`` | audio for speech models (config model_type "
    + ", ".join(sorted(AUDIO_ENCODER_DECODER_TYPES))
    + " or an audio sub-config), text otherwise | Whisper; T5/BART-style encoders |\n"
    "| anything else | other | shown in the report, never dropped |\n"
)


def has_audio_encoder(config: ConfigFacts | None) -> bool:
    """Whether ``encoder.*`` tensors are a speech encoder, as the config declares."""
    if config is None:
        return False
    return config.model_type in AUDIO_ENCODER_DECODER_TYPES or any(s.component == "audio" for s in config.sections)


def assign(name: str, *, audio_encoder: bool) -> tuple[str, str]:
    """(component, matching prefix) for one tensor name; ``("other", "")`` when no convention fits."""
    for convention in CONVENTIONS:
        if name.startswith(convention.prefix):
            return convention.component, convention.prefix
    for prefix in ENCODER_PREFIXES:
        if name.startswith(prefix):
            return ("audio" if audio_encoder else "text"), prefix
    return "other", ""


def assign_all(names: list[str], config: ConfigFacts | None) -> dict[str, tuple[str, str]]:
    """Component and matching prefix (or the name's first segment, for ``other``) of every tensor."""
    audio = has_audio_encoder(config)
    out = {}
    for name in names:
        component, prefix = assign(name, audio_encoder=audio)
        out[name] = (component, prefix or name.split(".", 1)[0] + ".")
    return out
