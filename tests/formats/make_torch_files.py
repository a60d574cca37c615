"""Write a PyTorch checkpoint without PyTorch (test fixture; run as a separate process).

``torch.save`` pickles a state dict with protocol 2 and a ``persistent_id`` hook: every tensor
becomes ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
and every storage a persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)``. This
script registers stand-in ``torch`` modules in its own process only, so the standard ``pickle``
module emits exactly those opcodes, and lays the bytes out as torch does: a zip archive with
uncompressed ``archive/data.pkl``, ``archive/data/<key>``, ``archive/version`` and
``archive/byteorder`` members, or the legacy stream of pickles followed by raw storages.

usage: make_torch_files.py ARRAYS.npz OUTPUT OPTIONS_JSON
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage


def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
    raise AssertionError("stand-in")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


class Storage:
    def __init__(self, key: str, data: np.ndarray) -> None:
        self.key, self.data = key, data


class Tensor:
    def __init__(self, storage: Storage, shape: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.shape, self.stride = storage, shape, stride

    def __reduce__(self):
        return _rebuild_tensor_v2, (self.storage, 0, self.shape, self.stride, False, OrderedDict())


class Evil:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class CheckpointPickler(pickle.Pickler):
    legacy = False

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        if self.legacy:  # the legacy format adds view metadata (None: the whole storage)
            return ("storage", FloatStorage, obj.key, "cpu", obj.data.size, None)
        return ("storage", FloatStorage, obj.key, "cpu", obj.data.size)


def main() -> None:
    arrays_path, output, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    arrays = np.load(arrays_path)
    state: OrderedDict = OrderedDict()
    storages: list[Storage] = []
    for index, name in enumerate(sorted(arrays.files)):
        value = arrays[name]
        if name in options["transpose"] and value.ndim == 2:
            data = np.ascontiguousarray(value.T)  # a transposed view: column-major storage of the matrix
            stride = (1, value.shape[0])
        else:
            data = np.ascontiguousarray(value)
            stride = tuple(int(s // data.itemsize) for s in data.strides)
        storage = Storage(str(index), data.reshape(-1))
        storages.append(storage)
        state[name] = Tensor(storage, tuple(value.shape), stride)
    root: object = state
    if options["wrap"]:
        root = {"epoch": 3, options["wrap"]: state, "optimizer": {"lr": 0.001}}
    if options["evil_command"]:
        root = {"payload": Evil(options["evil_command"]), **(root if options["wrap"] else {"state_dict": state})}
    buffer = io.BytesIO()
    pickler = CheckpointPickler(buffer, protocol=2)
    pickler.legacy = options["layout"] == "legacy"
    pickler.dump(root)
    if options["layout"] == "zip":
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("archive/data.pkl", buffer.getvalue())
            archive.writestr("archive/byteorder", "little")
            for storage in storages:
                archive.writestr(f"archive/data/{storage.key}", storage.data.astype("<f4").tobytes())
            archive.writestr("archive/version", "3\n")
        return
    with open(output, "wb") as fh:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, fh, protocol=2)
        fh.write(buffer.getvalue())
        pickle.dump([s.key for s in storages], fh, protocol=2)
        for storage in storages:
            fh.write(struct.pack("<q", storage.data.size))
            fh.write(storage.data.astype("<f4").tobytes())


if __name__ == "__main__":
    main()
