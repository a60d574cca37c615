"""Read a pickle's opcodes without running them: the imports it would make and the objects it describes.

``pickle.load`` executes: each ``REDUCE`` calls an imported callable with arguments from the file.
This module never imports or calls anything. ``pickletools.genops`` decodes the opcode stream
(it parses, it does not execute), and a small symbolic stack machine replays the opcodes with
inert stand-ins: an imported callable becomes ``Global(module, name)``, a call becomes
``Call(func, args)`` — recorded, not performed — and a persistent id (how PyTorch refers to tensor
storages) becomes ``PersistentId(value)``. What remains is a tree of plain values and stand-ins
from which PyTorch tensors (``Call(_rebuild_tensor_v2, (storage, offset, size, stride, …))``)
can be read off.

Every resource is capped: opcodes evaluated, stack depth, memo size, line-argument length. When a
cap is hit the evaluation stops but the scan for imports continues to the end of the stream, so a
payload cannot hide behind a large prefix.

A ``STACK_GLOBAL`` takes its module and name from the stack, so a pickle can compute them at load
time (``_codecs.encode('bf', 'rot13')`` gives ``'os'``) to slip past a list of names. Such an import
is recorded as ``COMPUTED``; so is one whose strings cannot be followed once evaluation has stopped.
Calls whose arguments decide whether they are safe are recorded with their literal string
arguments (``calls``) for the policy to vet.
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_OPS = 5_000_000
MAX_STACK = 100_000
MAX_MEMO = 1_000_000
MAX_LINE = 1 << 16
MAX_CALLS = 10_000  # distinct (callable, string arguments) pairs recorded
COMPUTED = "<computed>"  # module and name of a global built at load time


@dataclass(frozen=True, slots=True)
class Global:
    """An imported callable or class, by name only."""

    module: str
    name: str


@dataclass(slots=True, eq=False)
class Call:
    """A recorded call ``func(*args)``, plus whatever ``BUILD``/``SETITEM``/``APPEND`` later applied to its result."""

    func: Any
    args: tuple
    state: Any = None
    items: dict = field(default_factory=dict)
    appended: list = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PersistentId:
    """A reference to data outside the pickle (PyTorch: a tensor storage)."""

    value: Any


@dataclass(frozen=True, slots=True)
class ImportSeen:
    module: str
    name: str
    position: int  # byte offset of the opcode in the pickle


@dataclass(frozen=True, slots=True)
class CallSeen:
    """A call of an imported callable; ``args`` keeps literal strings and puts None for anything else."""

    module: str
    name: str
    args: tuple[str | None, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PickleTrace:
    """The outcome: imports (all of them, even past a cap), calls with their string arguments (while
    evaluation lasted), the rebuilt object if evaluation finished, and why not."""

    imports: tuple[ImportSeen, ...]
    result: Any
    complete: bool
    error: str
    end: int  # byte offset just after STOP (where a following pickle or data begins)
    calls: tuple[CallSeen, ...] = ()


class _Mark:
    """The MARK sentinel on the stack."""


_MARK = _Mark()


class LimitedReader:
    """A file-like view of bytes for ``genops``: reads never allocate more than what remains, and a
    line argument longer than ``MAX_LINE`` is an error instead of a read to the end of a large file."""

    def __init__(self, data: Any, start: int = 0, end: int | None = None) -> None:
        self._data = data
        self._pos = start
        self._end = len(data) if end is None else end

    def read(self, n: int = -1) -> bytes:
        stop = self._end if n is None or n < 0 else min(self._end, self._pos + n)
        chunk = bytes(self._data[self._pos:stop])
        self._pos = stop
        return chunk

    def readline(self) -> bytes:
        limit = min(self._end, self._pos + MAX_LINE)
        window = bytes(self._data[self._pos:limit])
        cut = window.find(b"\n")
        if cut < 0:
            if limit == self._end:
                self._pos = limit
                return window
            raise ValueError(f"line argument at byte {self._pos} is longer than {MAX_LINE} bytes")
        self._pos += cut + 1
        return window[:cut + 1]

    def tell(self) -> int:
        return self._pos


def trace_pickle(data: Any, start: int = 0, end: int | None = None) -> PickleTrace:
    """Replay one pickle (``data[start:end]``, bytes or a memory map) symbolically."""
    reader = LimitedReader(data, start, end)
    machine = _Machine()
    names = _NameTracker()  # STACK_GLOBAL operands once the machine has stopped evaluating
    imports: list[ImportSeen] = []
    error = ""
    stop_at = -1
    try:
        for opcode, arg, pos in _ops(reader):
            if opcode.name in ("GLOBAL", "INST"):
                module, _, name = str(arg).partition(" ")
                imports.append(ImportSeen(module, name, pos))
            elif opcode.name == "STACK_GLOBAL":
                module, name = machine.peek_global() if not error else names.peek_global()
                imports.append(ImportSeen(module, name, pos))
            elif opcode.name in ("EXT1", "EXT2", "EXT4"):
                imports.append(ImportSeen("copyreg", f"extension {arg}", pos))
            names.step(opcode.name, arg)
            if not error:
                try:
                    machine.step(opcode.name, arg)
                except _Stop as exc:
                    error = str(exc)
            if opcode.name == "STOP":
                stop_at = reader.tell()
                break
    except ValueError as exc:  # genops: unknown opcode, truncated argument, bad line
        error = error or f"malformed pickle: {exc}"
    complete = not error and stop_at >= 0
    if stop_at < 0 and not error:
        error = "the pickle ends without a STOP opcode"
    return PickleTrace(imports=tuple(imports), result=machine.result if complete else None, complete=complete,
                       error=error, end=stop_at if stop_at >= 0 else reader.tell(), calls=tuple(machine.calls))


def _ops(reader: LimitedReader) -> Iterator[tuple[Any, Any, int]]:
    yield from pickletools.genops(reader)


class _NameTracker:
    """Follows only which strings are on top of the stack and in the memo, for every opcode, so the
    operands of a ``STACK_GLOBAL`` are still known after the machine stopped. ``pickle`` writes them as
    two string pushes, or memo reads of strings pushed before; anything else is ``COMPUTED``."""

    _NEUTRAL = frozenset({"PROTO", "FRAME"})

    def __init__(self) -> None:
        self.top: list[str | None] = [None, None]
        self.memo: dict[int, str] = {}
        self.written: set[int] = set()  # MEMOIZE stores at the memo's current size
        self.lost = False  # past MAX_MEMO entries the memo indices cannot be followed any more

    def peek_global(self) -> tuple[str, str]:
        module, name = self.top
        if self.lost or module is None or name is None:
            return COMPUTED, COMPUTED
        return module, name

    def step(self, name: str, arg: Any) -> None:
        if name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
            index = len(self.written) if name == "MEMOIZE" else int(arg)
            if index not in self.written:
                self.lost = self.lost or len(self.written) >= MAX_MEMO
                if self.lost:
                    return
                self.written.add(index)
            if self.top[-1] is not None:
                self.memo[index] = self.top[-1]
            else:
                self.memo.pop(index, None)
            return
        if name in self._NEUTRAL:
            return
        if name in ("GET", "BINGET", "LONG_BINGET"):
            value = self.memo.get(int(arg))
        else:
            value = arg if name in _PUSH_ARG and isinstance(arg, str) else None
        self.top = [self.top[-1], value]


class _Stop(Exception):
    """Evaluation cannot continue (a cap was hit, or the stream is inconsistent); imports are still scanned."""


class _Machine:
    """The pickle stack machine with inert values (see module docstring)."""

    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.ops = 0
        self.result: Any = None
        self.calls: dict[CallSeen, None] = {}

    def peek_global(self) -> tuple[str, str]:
        """Module and name a STACK_GLOBAL is about to import (the two strings on top of the stack)."""
        if len(self.stack) >= 2 and isinstance(self.stack[-2], str) and isinstance(self.stack[-1], str):
            return self.stack[-2], self.stack[-1]
        return COMPUTED, COMPUTED

    def call(self, func: Any, args: tuple) -> Call:
        """Record ``func(*args)`` without making it."""
        if isinstance(func, Global) and len(self.calls) < MAX_CALLS:
            seen = CallSeen(func.module, func.name, tuple(a if isinstance(a, str) else None for a in args))
            self.calls[seen] = None
        return Call(func, args)

    def pop(self) -> Any:
        if not self.stack:
            raise _Stop("stack underflow: the pickle is inconsistent")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise _Stop("no MARK to pop: the pickle is inconsistent")
        at = self.marks.pop()
        items = self.stack[at:]
        del self.stack[at:]
        return items

    def push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise _Stop(f"stack deeper than {MAX_STACK}: not evaluated further")
        self.stack.append(value)

    def step(self, name: str, arg: Any) -> None:
        self.ops += 1
        if self.ops > MAX_OPS:
            raise _Stop(f"more than {MAX_OPS} opcodes: not evaluated further")
        handler = _HANDLERS.get(name)
        if handler is None:
            if name in _PUSH_ARG:
                self.push(arg)
                return
            if name in _IGNORED:
                return
            raise _Stop(f"opcode {name} is not supported")
        handler(self, arg)

    def memo_put(self, index: int) -> None:
        if not self.stack:
            raise _Stop("memo store from an empty stack")
        if len(self.memo) >= MAX_MEMO and index not in self.memo:
            raise _Stop(f"memo larger than {MAX_MEMO}: not evaluated further")
        self.memo[index] = self.stack[-1]

    def memo_get(self, index: int) -> None:
        if index not in self.memo:
            raise _Stop(f"memo slot {index} read before it was written")
        self.push(self.memo[index])


def _set_items(target: Any, pairs: list[Any]) -> None:
    mapping = target.items if isinstance(target, Call) else target
    if not isinstance(mapping, dict):
        raise _Stop("SETITEM on something that is not a dictionary")
    for key, value in zip(pairs[::2], pairs[1::2]):
        try:
            mapping[key] = value
        except TypeError:  # unhashable stand-in as a key: keep the value reachable under a placeholder
            mapping[("<unhashable>", len(mapping))] = value


def _append(target: Any, values: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(values)
    elif isinstance(target, Call):
        target.appended.extend(values)
    elif isinstance(target, set):
        for v in values:
            try:
                target.add(v)
            except TypeError:
                pass
    else:
        raise _Stop("APPEND on something that is not a list")


def _tuple_from(items: list[Any]) -> tuple:
    return tuple(items)


def _op_setitem(m: _Machine, _: Any) -> None:
    value, key = m.pop(), m.pop()
    if not m.stack:
        raise _Stop("SETITEM without a target")
    _set_items(m.stack[-1], [key, value])


def _op_setitems(m: _Machine, _: Any) -> None:
    pairs = m.pop_mark()
    if not m.stack:
        raise _Stop("SETITEMS without a target")
    _set_items(m.stack[-1], pairs)


def _op_append(m: _Machine, _: Any) -> None:
    value = m.pop()
    if not m.stack:
        raise _Stop("APPEND without a target")
    _append(m.stack[-1], [value])


def _op_appends(m: _Machine, _: Any) -> None:
    values = m.pop_mark()
    if not m.stack:
        raise _Stop("APPENDS without a target")
    _append(m.stack[-1], values)


def _op_additems(m: _Machine, _: Any) -> None:
    values = m.pop_mark()
    if not m.stack:
        raise _Stop("ADDITEMS without a target")
    _append(m.stack[-1], values)


def _op_global(m: _Machine, arg: Any) -> None:
    module, _, name = str(arg).partition(" ")
    m.push(Global(module, name))


def _op_stack_global(m: _Machine, _: Any) -> None:
    name, module = m.pop(), m.pop()
    if not isinstance(module, str) or not isinstance(name, str):
        m.push(Global(COMPUTED, COMPUTED))  # already recorded as an import; its calls stay inert
        return
    m.push(Global(module, name))


def _op_reduce(m: _Machine, _: Any) -> None:
    args, func = m.pop(), m.pop()
    m.push(m.call(func, args if isinstance(args, tuple) else (args,)))


def _op_newobj(m: _Machine, _: Any) -> None:
    args, cls = m.pop(), m.pop()
    m.push(m.call(cls, args if isinstance(args, tuple) else (args,)))


def _op_newobj_ex(m: _Machine, _: Any) -> None:
    kwargs, args, cls = m.pop(), m.pop(), m.pop()
    m.push(m.call(cls, (args if isinstance(args, tuple) else (args,)) + ((kwargs,) if kwargs else ())))


def _op_build(m: _Machine, _: Any) -> None:
    state = m.pop()
    if not m.stack:
        raise _Stop("BUILD without a target")
    target = m.stack[-1]
    if isinstance(target, Call):
        target.state = state


def _op_inst(m: _Machine, arg: Any) -> None:
    module, _, name = str(arg).partition(" ")
    m.push(m.call(Global(module, name), _tuple_from(m.pop_mark())))


def _op_obj(m: _Machine, _: Any) -> None:
    items = m.pop_mark()
    if not items:
        raise _Stop("OBJ without a class")
    m.push(m.call(items[0], _tuple_from(items[1:])))


def _op_dict(m: _Machine, _: Any) -> None:
    items = m.pop_mark()
    d: dict = {}
    _set_items(d, items)
    m.push(d)


def _op_stop(m: _Machine, _: Any) -> None:
    m.result = m.pop()


def _op_dup(m: _Machine, _: Any) -> None:
    if not m.stack:
        raise _Stop("DUP on an empty stack")
    m.push(m.stack[-1])


def _op_pop(m: _Machine, _: Any) -> None:
    if m.marks and m.marks[-1] == len(m.stack):
        m.marks.pop()
    else:
        m.pop()


def _op_mark(m: _Machine, _: Any) -> None:
    m.marks.append(len(m.stack))


def _op_frozenset(m: _Machine, _: Any) -> None:
    items = m.pop_mark()
    try:
        m.push(frozenset(items))
    except TypeError:
        m.push(tuple(items))


def _op_persid(m: _Machine, arg: Any) -> None:
    m.push(PersistentId(arg))


def _op_binpersid(m: _Machine, _: Any) -> None:
    m.push(PersistentId(m.pop()))


def _tuple_n(n: int):
    def op(m: _Machine, _: Any) -> None:
        items = [m.pop() for _ in range(n)][::-1]
        m.push(tuple(items))
    return op


_HANDLERS = {
    "EMPTY_LIST": lambda m, _: m.push([]),
    "EMPTY_TUPLE": lambda m, _: m.push(()),
    "EMPTY_DICT": lambda m, _: m.push({}),
    "EMPTY_SET": lambda m, _: m.push(set()),
    "LIST": lambda m, _: m.push(m.pop_mark()),
    "TUPLE": lambda m, _: m.push(_tuple_from(m.pop_mark())),
    "TUPLE1": _tuple_n(1),
    "TUPLE2": _tuple_n(2),
    "TUPLE3": _tuple_n(3),
    "DICT": _op_dict,
    "FROZENSET": _op_frozenset,
    "APPEND": _op_append,
    "APPENDS": _op_appends,
    "SETITEM": _op_setitem,
    "SETITEMS": _op_setitems,
    "ADDITEMS": _op_additems,
    "MARK": _op_mark,
    "POP": _op_pop,
    "POP_MARK": lambda m, _: m.pop_mark(),
    "DUP": _op_dup,
    "NONE": lambda m, _: m.push(None),
    "NEWTRUE": lambda m, _: m.push(True),
    "NEWFALSE": lambda m, _: m.push(False),
    "NEXT_BUFFER": lambda m, _: m.push(None),
    "GET": lambda m, arg: m.memo_get(int(arg)),
    "BINGET": lambda m, arg: m.memo_get(int(arg)),
    "LONG_BINGET": lambda m, arg: m.memo_get(int(arg)),
    "PUT": lambda m, arg: m.memo_put(int(arg)),
    "BINPUT": lambda m, arg: m.memo_put(int(arg)),
    "LONG_BINPUT": lambda m, arg: m.memo_put(int(arg)),
    "MEMOIZE": lambda m, _: m.memo_put(len(m.memo)),
    "GLOBAL": _op_global,
    "STACK_GLOBAL": _op_stack_global,
    "REDUCE": _op_reduce,
    "NEWOBJ": _op_newobj,
    "NEWOBJ_EX": _op_newobj_ex,
    "BUILD": _op_build,
    "INST": _op_inst,
    "OBJ": _op_obj,
    "PERSID": _op_persid,
    "BINPERSID": _op_binpersid,
    "EXT1": lambda m, arg: m.push(Global("copyreg", f"extension {arg}")),
    "EXT2": lambda m, arg: m.push(Global("copyreg", f"extension {arg}")),
    "EXT4": lambda m, arg: m.push(Global("copyreg", f"extension {arg}")),
    "STOP": _op_stop,
}
_PUSH_ARG = frozenset({
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT", "STRING", "BINSTRING",
    "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE", "BINUNICODE",
    "SHORT_BINUNICODE", "BINUNICODE8",
})
_IGNORED = frozenset({"PROTO", "FRAME", "READONLY_BUFFER"})
