"""Which globals a pickle may import: the allow-list of a weights-only checkpoint, and known-dangerous ones.

Loading a pickle calls whatever callables its ``GLOBAL``/``STACK_GLOBAL`` opcodes import, with
arguments the file chooses; that is how a ``__reduce__`` payload runs ``os.system``. A state dict
needs very few callables — PyTorch's tensor and parameter rebuild helpers, its storage classes,
``OrderedDict`` and a handful of builtins and NumPy reconstructors — so everything else is worth
reporting. Imports are graded:

* ``dangerous`` — modules and functions that execute commands or code, open files or sockets, or
  reach arbitrary attributes (``os``, ``subprocess``, ``builtins.eval``, ``operator.attrgetter`` …);
* ``unknown`` — anything else not on the allow-list (a custom class: harmless or not, loading it
  runs its code, so a reviewer should look).

A global whose module or name is computed while loading (``COMPUTED``) is dangerous: no weights-only
checkpoint needs one, and it exists to hide what is imported. Some allowed callables are safe only
with certain arguments: ``_codecs.encode`` is how protocol-2 pickles store bytes, always with the
``latin1`` codec; with another codec (``rot13``) it is a tool for computing hidden names.

The lists are this project's own judgement of what a weights-only checkpoint uses.
"""

from __future__ import annotations

from scanner.formats.pickle_vm import COMPUTED

_TORCH_STORAGES = frozenset({
    "FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage",
    "CharStorage", "ByteStorage", "BoolStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage",
    "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage", "UntypedStorage", "TypedStorage",
})
_TORCH_DTYPES = frozenset({
    "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int8", "uint8", "int16", "short", "int32",
    "int", "int64", "long", "bool", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2", "qint8", "quint8", "qint32",
})

ALLOWED: dict[str, frozenset[str]] = {
    "collections": frozenset({"OrderedDict", "defaultdict", "Counter"}),
    "torch": _TORCH_STORAGES | _TORCH_DTYPES | frozenset({"Size", "device", "dtype", "Tensor", "per_tensor_affine",
                                                          "per_channel_affine", "strided", "sparse_coo"}),
    "torch._utils": frozenset({
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
        "_rebuild_parameter_with_state", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
        "_rebuild_nested_tensor", "_rebuild_qtensor", "_rebuild_wrapper_subclass",
        "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor",
    }),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    "torch.storage": _TORCH_STORAGES,
    "torch.nn.parameter": frozenset({"Parameter"}),
    "torch.serialization": frozenset({"_get_layout"}),
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.dtypes": frozenset({"Float64DType", "Float32DType", "Float16DType", "Int64DType", "Int32DType", "Int16DType",
                               "Int8DType", "UInt8DType", "BoolDType"}),
    "builtins": frozenset({"set", "frozenset", "slice", "complex", "bytearray", "tuple", "list", "dict", "int", "float",
                           "str", "bytes", "bool", "range"}),
    "__builtin__": frozenset({"set", "frozenset", "slice", "complex", "bytearray"}),
    "_codecs": frozenset({"encode"}),
}

# Whole modules whose import means code execution, process, file or network access.
DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "runpy", "shutil", "socket", "importlib", "pickle", "_pickle", "dill",
    "marshal", "pty", "webbrowser", "requests", "urllib", "urllib.request", "http", "http.client", "httplib", "ftplib",
    "telnetlib", "smtplib", "code", "codeop", "ctypes", "multiprocessing", "asyncio", "pdb", "bdb", "timeit",
    "platform", "tempfile", "pathlib", "io", "_io", "zipimport", "pip", "setuptools", "commands", "popen2", "signal",
    "threading", "_thread", "torch.hub", "torch.jit",
})
# Single callables that are dangerous even though their module is ordinary.
DANGEROUS_NAMES = frozenset({
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open", "builtins.getattr", "builtins.setattr",
    "builtins.delattr", "builtins.__import__", "builtins.globals", "builtins.locals", "builtins.vars",
    "builtins.input", "builtins.breakpoint", "builtins.memoryview", "__builtin__.eval", "__builtin__.execfile",
    "__builtin__.apply", "__builtin__.getattr", "__builtin__.open", "__builtin__.__import__",
    "operator.attrgetter", "operator.methodcaller", "operator.itemgetter", "functools.partial", "functools.reduce",
    "types.FunctionType", "types.CodeType", "types.MethodType", "copyreg._reconstructor", "torch.load",
    "numpy.load", "numpy.fromfile", "numpy.testing._private.utils.runstring",
})


# Allowed callables whose string argument at a position must be one of these values.
ALLOWED_ARGUMENTS: dict[tuple[str, str], tuple[int, frozenset[str]]] = {
    ("_codecs", "encode"): (1, frozenset({"latin1", "latin-1"})),
}


def risk(module: str, name: str) -> str | None:
    """None when the import is allowed, else "dangerous" or "unknown"."""
    if module == COMPUTED or name == COMPUTED:
        return "dangerous"
    if name in ALLOWED.get(module, ()):
        return None
    if f"{module}.{name}" in DANGEROUS_NAMES:
        return "dangerous"
    parts = module.split(".")
    if any(".".join(parts[:i]) in DANGEROUS_MODULES for i in range(1, len(parts) + 1)):
        return "dangerous"
    return "unknown"


def call_risk(module: str, name: str, args: tuple[str | None, ...]) -> str | None:
    """None when a call of an allowed callable has acceptable arguments, else "unknown" (the import
    itself is graded by ``risk``)."""
    rule = ALLOWED_ARGUMENTS.get((module, name))
    if rule is None:
        return None
    position, values = rule
    value = args[position] if position < len(args) else None
    return None if value is not None and value.lower() in values else "unknown"
