"""Architecture signatures and how two of them relate.

A model is split into components (text, vision, audio, projector); each component's config settings
become a signature (family plus canonical hyper-parameters), and a candidate's signature is compared
with the catalog's: ``identical``, ``same_family`` or ``different``.

Architecture similarity is a fact for rules to judge, never evidence of weight reuse. Independent
teams routinely train the same architecture from scratch (Llama-1-7B and Llama-2-7B share every shape;
SKT's A.X K1 borrowed DeepSeek's attention design with freshly initialised weights), and a model can
copy weights into a differently declared architecture. Only weight-level comparison speaks to
reuse; an ``identical`` relation merely says which reference the weights are worth comparing with.
"""

from scanner.architecture.compare import Agreement, ArchitectureComparison, Difference, compare
from scanner.architecture.hyperparameters import HYPERPARAMETERS, HyperParameter, Role
from scanner.architecture.signature import FAMILY_ALIASES, ArchitectureSignature, normalise_family, signature_of
from scanner.architecture.split import split_config

__all__ = [
    "FAMILY_ALIASES",
    "HYPERPARAMETERS",
    "Agreement",
    "ArchitectureComparison",
    "ArchitectureSignature",
    "Difference",
    "HyperParameter",
    "Role",
    "compare",
    "normalise_family",
    "signature_of",
    "split_config",
]
