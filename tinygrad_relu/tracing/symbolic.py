"""Running an op's own Python on names instead of numbers, to write it as code: JAX's tracers at our scale.

A ``Sym`` stands for a float whose value is not known, only its name or expression (``x``, ``w * d_z``), or
for an array known by its name and its shape (the Tensor engine's; the shapes are the recording's). Arithmetic
on it builds a longer expression; a helper the code calls (``ieee_div``, ``math.exp``, ``np.where``) with a Sym
among its arguments is recorded as a call, not traced into (numpy's own rules, applied to arrays of zeros of the
same shapes, give the call's shape). A comparison gives a Sym too, and when
the code asks for its truth (``if a.data > 0:``), ``run`` answers True on one run and False on another and
writes an ``if``/``else`` with what each run did. A closure that adds into ``parent.grad`` through a stand-in
writes ``d_x += ...``: the same text that backprop runs on numbers, run on names, writes backprop.
"""

from __future__ import annotations

import builtins
import math
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..engine.ieee import ieee_pow
from ..rebinding import Operators, names_used, with_globals
from ..tensor import fast

#: precedence of Python's operators, loosest first: a sub-expression looser than its place gets parentheses
_TERNARY, _COMPARE, _BIT_OR, _BIT_AND, _SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 0, 4, 4.3, 4.6, 5, 6, 7, 8, 9
#: the place of a term added on the right (``d + term``): a sum or difference there gets parentheses
ADDEND = _PRODUCT
_BINARY = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "@": _PRODUCT, "**": _POWER, "&": _BIT_AND, "|": _BIT_OR}
MAX_DEPTH = 40  # a longer chain of operations is cut into temporaries, so that compile() never nests deeply


def number(x: float) -> str:
    """A number as code that gives exactly it back (``repr`` round-trips; inf and nan are names here)."""
    if isinstance(x, bool):  # True and False are 1 and 0 in arithmetic too
        return str(x)
    if isinstance(x, int):
        return repr(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


class Fork(Exception):
    """Raised when the code under ``run`` asks for the truth of a condition that its script does not answer."""

    def __init__(self, condition: Sym) -> None:
        super().__init__(condition.text)
        self.condition = condition


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only array of zeros of ``shape`` that holds one number: what numpy's shape rules are applied to."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape, (0,) * len(shape), writeable=False)


def _stand_in(x: Any) -> Any:
    """``x`` with each array Sym in it replaced by zeros of its shape (a scalar Sym by 0.0)."""
    if isinstance(x, Sym):
        return 0.0 if x.shape is None else _zeros(x.shape)
    if isinstance(x, (tuple, list)):
        return type(x)(_stand_in(v) for v in x)
    return x


def _shape_of(fn: Callable[..., Any], args: Iterable[Any], kwargs: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape of ``fn(*args, **kwargs)`` for arrays of those shapes (None when no array Sym is among them)."""
    if fn in _FRESH:  # a new array: its shape is in its arguments
        return tuple(np.shape(fn(*_stand_in(tuple(args)), **kwargs)))
    if not any(isinstance(a, Sym) and a.shape is not None for a in _flat((*args, *kwargs.values()))):
        return None
    with np.errstate(all="ignore"):
        result = fn(*_stand_in(tuple(args)), **{k: _stand_in(v) for k, v in kwargs.items()})
    return tuple(np.shape(result))


def _broadcast(a: Any, b: Any) -> tuple[int, ...] | None:
    """The shape of an entrywise operation on ``a`` and ``b`` (None when neither is an array Sym)."""
    shapes = [x.shape for x in (a, b) if isinstance(x, Sym)]
    if all(s is None for s in shapes):
        return None
    return tuple(np.broadcast_shapes(*[x.shape or () if isinstance(x, Sym) else np.shape(x) for x in (a, b)]))


def _flat(items: Iterable[Any]) -> Iterable[Any]:
    for x in items:
        if isinstance(x, (tuple, list)):
            yield from _flat(x)
        else:
            yield x


class Sym(Operators):
    """A number known only by the code that computes it (an array, when it has a shape)."""

    __slots__ = ("text", "prec", "depth", "tape", "shape")
    __array_ufunc__ = None  # an array on the left of an operator leaves the operation to the Sym

    def __init__(
        self, text: str, tape: Tape, prec: float = _ATOM, depth: int = 0, shape: tuple[int, ...] | None = None
    ) -> None:
        self.text, self.tape, self.prec, self.depth, self.shape = text, tape, prec, depth, shape

    def _operate(self, op: str, other: Any, reflected: bool = False) -> Sym:
        a, b = (other, self) if reflected else (self, other)
        prec = _BINARY[op]
        right_assoc = op == "**"
        left = self.tape.operand(a, prec + (1 if right_assoc else 0))
        right = self.tape.operand(b, prec + (0 if right_assoc else 1))
        depth = 1 + max(getattr(a, "depth", 0), getattr(b, "depth", 0))
        shape = _shape_of(np.matmul, (a, b), {}) if op == "@" else _broadcast(a, b)
        return self.tape.bounded(Sym(f"{left} {op} {right}", self.tape, prec, depth, shape))

    # --- an array's methods and attributes, as code -------------------------------------------------------
    def _method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.tape.call(f"{self.tape.operand(self, _ATOM)}.{name}", _Method(name), (self, *args), kwargs)

    def reshape(self, *args: Any) -> Any:
        """``x.reshape(...)``."""
        return self._method("reshape", *args)

    def transpose(self, *args: Any) -> Any:
        """``x.transpose(...)``."""
        return self._method("transpose", *args)

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        """``x.sum(...)``."""
        return self._method("sum", *args, **kwargs)

    def item(self) -> Any:
        """``x.item()``."""
        return self._method("item")

    def all(self) -> Any:
        """``x.all()``."""
        return self._method("all")

    def copy(self) -> Any:
        """``x.copy()``."""
        return self._method("copy")

    @property
    def T(self) -> Sym:
        """``x.T``."""
        assert self.shape is not None
        return Sym(f"{self.tape.operand(self, _ATOM)}.T", self.tape, _ATOM, self.depth + 1, self.shape[::-1])

    @property
    def ndim(self) -> int:
        """The number of dimensions, known from the recording."""
        assert self.shape is not None
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements, known from the recording."""
        assert self.shape is not None
        return math.prod(self.shape)

    def __getitem__(self, index: Any) -> Any:
        return self.tape.call(f"{self.tape.operand(self, _ATOM)}", _Index(), (self, index), {}, subscript=True)

    def __neg__(self) -> Sym:
        return Sym(f"-{self.tape.operand(self, _UNARY)}", self.tape, _UNARY, self.depth + 1, self.shape)

    def __pos__(self) -> Sym:
        return self

    def __abs__(self) -> Any:
        return self.tape.call("abs", builtins.abs, (self,))

    def _compare(self, op: str, other: Any) -> Sym:
        left, right = self.tape.operand(self, _COMPARE + 1), self.tape.operand(other, _COMPARE + 1)
        shape = _broadcast(self, other)
        return Sym(f"{left} {op} {right}", self.tape, _COMPARE, self.depth + 1, shape)

    def __bool__(self) -> bool:
        return self.tape.decide(self)

    def __float__(self) -> float:
        raise TypeError(f"{self.text} has no number while an op is written as code")


class Tape:
    """What one run of some code on names did: its statements, with the conditions it met on the way."""

    def __init__(
        self, script: list[bool], namer: Callable[[int, str], str], literal: Callable[[Any], str] | None = None
    ) -> None:
        self.script, self.namer, self.literal = script, namer, literal
        self.asked = 0  # conditions met so far
        self.temps = 0  # temporaries written so far: a run that replays another's start names them alike
        #: (number of conditions met before it, statement)
        self.statements: list[tuple[int, str]] = []
        #: helpers the code called, by the name the statements use
        self.helpers: dict[str, Any] = {}

    def decide(self, condition: Sym) -> bool:
        """The truth of ``condition`` on this run: the script's answer, or a Fork when the script is used up."""
        if self.asked == len(self.script):
            raise Fork(condition)
        answer = self.script[self.asked]
        self.asked += 1
        return answer

    def emit(self, statement: str) -> None:
        """Write one statement."""
        self.statements.append((self.asked, statement))

    def let(self, value: Sym, hint: str) -> Sym:
        """``value`` written once into a new temporary, which stands for it from now on."""
        self.temps += 1
        name = self.namer(self.temps, hint)
        self.emit(f"{name} = {value.text}")
        return Sym(name, self, shape=value.shape)

    def bounded(self, value: Sym) -> Sym:
        """``value``, or a temporary holding it once its expression nests deep enough to strain ``compile``."""
        return self.let(value, "t") if value.depth > MAX_DEPTH else value

    def operand(self, x: Any, prec: float) -> str:
        """``x`` as the code of an operand at precedence ``prec`` (parenthesised when it binds more loosely)."""
        if isinstance(x, Sym):
            return f"({x.text})" if x.prec < prec else x.text
        if isinstance(x, (bool, int, float)):
            text = number(x)
            return f"({text})" if text.startswith("-") and prec > _SUM else text
        if isinstance(x, (tuple, list)) and not (self.literal is not None and not _has_sym(x)):
            inner = ", ".join(self.operand(v, _TERNARY + 1) for v in x)
            return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
        if self.literal is not None:
            return self.literal(x)
        raise TypeError(f"a {type(x).__name__} cannot be written as code")

    def call(
        self, name: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None, subscript: bool = False
    ) -> Any:
        """``fn(*args, **kwargs)``: recorded as a call when a Sym is among the arguments (or when it makes a new
        array, which the code may change in place), run as it is otherwise. A call made for its effect on an
        array (``np.put_along_axis``) is written as a statement of its own."""
        kwargs = kwargs or {}
        if not any(_has_sym(a) for a in (*args, *kwargs.values())) and fn not in _FRESH:
            return fn(*args, **kwargs)
        if fn in _POWERS and len(args) == 2 and type(args[1]) is float and args[1] == 1.0:
            return args[0]  # x ** 1.0 is x exactly (nan, inf and -0.0 too): x ** 2's backward reads 2.0 * x * g
        plain = _plainly(fn, args)
        if plain is not None:
            return plain
        if not subscript and not isinstance(fn, _Method):
            self.helpers.setdefault(name.split(".")[0], _owner(name, fn))
        shown = [self.operand(a, _TERNARY + 1) for a in args[1:]] if isinstance(fn, (_Method, _Index)) else None
        if shown is None:
            shown = [self.operand(a, _TERNARY + 1) for a in args]
        shown += [f"{k}={self.operand(v, _TERNARY + 1)}" for k, v in kwargs.items()]
        text = f"{name}[{shown[0]}]" if subscript else f"{name}({', '.join(shown)})"
        if fn in _IN_PLACE:
            self.emit(text)
            return None
        depth = 1 + max([getattr(a, "depth", 0) for a in (*args, *kwargs.values())] or [0])
        result = Sym(text, self, _ATOM, depth, _shape_of(fn, args, kwargs))
        # a call over many values (max, sum) or that makes an array is written once; others stay where used
        many = any(isinstance(a, (tuple, list)) for a in args) and result.shape is None
        return self.let(result, name.split(".")[-1].split("[")[0]) if many or fn in _FRESH else result


_POWERS = (math.pow, ieee_pow, np.power)
#: numpy's functions that make a new array (recorded even on plain arguments, since code may change it in place)
_FRESH: frozenset[Any] = frozenset((np.zeros, np.empty, np.ones, np.full, np.zeros_like, np.ones_like, np.empty_like))
#: numpy's functions that change an array in place: a statement of their own
_IN_PLACE: frozenset[Any] = frozenset((np.put_along_axis, np.copyto, np.add.at))


def _plainly(fn: Any, args: tuple[Any, ...]) -> Any:
    """A fast path's call as the plain numpy it computes, where the shapes say which (``fast.py``'s docstrings):
    ``fast.matmul`` of two matrices is ``np.dot``, a finite ``fast.times_slope`` is a product, a small
    ``fast.slope`` is ``np.where``. None for anything else."""
    if fn is fast.matmul and all(isinstance(a, Sym) and a.shape is not None and len(a.shape) == 2 for a in args):
        return args[0].tape.call("np.dot", np.dot, args)
    if fn is fast.times_slope and args[2] is True:
        return args[0] * args[1]
    if fn is fast.slope and isinstance(args[0], Sym) and args[0].shape is not None and not isinstance(args[1], Sym):
        if math.prod(args[0].shape) <= 4096 or not fast.finite(args[1]):
            return args[0].tape.call("np.where", np.where, (args[0], 1.0, args[1]))
    return None


class _Method:
    """An array method as a function of the array (``x.reshape(...)``), for ``Tape.call``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, array: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(array, self.name)(*args, **kwargs)


class _Index:
    """``x[index]`` as a function of ``x`` and the index, for ``Tape.call``."""

    def __call__(self, array: Any, index: Any) -> Any:
        return array[index]


def _has_sym(x: Any) -> bool:
    return isinstance(x, Sym) or (isinstance(x, (tuple, list)) and any(_has_sym(v) for v in x))


#: the modules whose functions code run on names calls by a name of its own, and the program's name for them
_MODULES = {"math": ("math", math), "numpy": ("np", np), fast.__name__: ("fast", fast)}


def _owner(name: str, fn: Any) -> Any:
    """What the program's namespace binds ``name``'s first part to: the module of ``math.exp``, or ``fn``."""
    first = name.split(".")[0]
    for short, module in _MODULES.values():
        if first == short and "." in name:
            return module
    return fn


class _Module:
    """A module (or a ufunc's methods) seen by code run on names: its functions record calls (``math.exp(x)``,
    ``np.add.reduce(x)``), its constants stay."""

    def __init__(self, name: str, module: Any, tape: Tape) -> None:
        self._name, self._module, self._tape = name, module, tape

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._module, attr)
        if isinstance(value, np.ufunc):
            return _Module(f"{self._name}.{attr}", value, self._tape)
        if callable(value) and not isinstance(value, type):
            return lambda *args, **kwargs: self._tape.call(f"{self._name}.{attr}", value, args, kwargs)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._tape.call(self._name, self._module, args, kwargs)


#: functions that give back the same number as their argument, or treat it as a value: run as they are on names
_AS_IS = {"len", "zip", "enumerate", "range", "isinstance", "type", "tuple", "list", "getattr", "iter", "reversed"}


def _rebound(fn: Callable[..., Any], tape: Tape, overrides: dict[str, Any] | None = None) -> Callable[..., Any]:
    """``fn`` with the helpers its code names rebound so that calls with a Sym are recorded (its code and its
    closure unchanged: only the globals it looks them up in); ``overrides`` binds some names to given things."""
    names: dict[str, Any] = {}
    module_globals = fn.__globals__
    for name in names_used(fn.__code__):
        if name in module_globals:
            value = module_globals[name]
        elif hasattr(builtins, name) and name not in _AS_IS:
            value = getattr(builtins, name)
        else:
            continue
        if isinstance(value, types.ModuleType) and value.__name__ in _MODULES:
            names[name] = _Module(_MODULES[value.__name__][0], value, tape)
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType)) or value is float:
            names[name] = _recorder(name, value, tape)
    namespace = {**module_globals, **names, **(overrides or {})}
    return with_globals(fn, namespace)


def _recorder(name: str, fn: Any, tape: Tape) -> Callable[..., Any]:
    if fn is float:  # float(x) of a float expression is the expression
        return lambda x: x if isinstance(x, Sym) else float(x)
    return lambda *args, **kwargs: tape.call(name, fn, args, kwargs)


class Branches:
    """The code a function writes when run on names, every condition it meets explored both ways."""

    def __init__(self, namer: Callable[[int, str], str], literal: Callable[[Any], str] | None = None) -> None:
        self.namer, self.literal = namer, literal
        self.helpers: dict[str, Any] = {}

    def write(self, run: Callable[[Tape], Any], finish: Callable[[Tape, Any], None]) -> list[str]:
        """The statements of ``run(tape)`` for every answer to its conditions, as nested ``if``s. ``finish(tape,
        result)`` writes what ends each path (an assignment of the result, the gradients a path left unset)."""
        return self._block([], run, finish)

    def _block(self, script: list[bool], run: Callable[[Tape], Any], finish: Callable[[Tape, Any], None]) -> list[str]:
        tape = Tape(script, self.namer, self.literal)
        asked: Sym | None = None
        try:
            result = run(tape)
        except Fork as stop:
            asked = stop.condition  # not the exception: its traceback holds this frame, a cycle of the whole graph
        else:
            finish(tape, result)
        self.helpers.update(tape.helpers)
        lines = [text for at, text in tape.statements if at == len(script)]
        if asked is None:
            return lines
        yes = self._block([*script, True], run, finish)
        no = self._block([*script, False], run, finish)
        return lines + _if_else(asked.text, yes, no)


def _if_else(condition: str, yes: list[str], no: list[str]) -> list[str]:
    """``if condition: yes else: no``, as one line when both sides assign or add to the same name."""
    if len(yes) == 1 and len(no) == 1:
        a, b = yes[0].split(" ", 2), no[0].split(" ", 2)
        if len(a) == 3 and len(b) == 3 and a[:2] == b[:2] and a[1] in ("=", "+=") and " if " not in a[2] + b[2]:
            return [f"{a[0]} {a[1]} {a[2]} if {condition} else {b[2]}"]
    if not yes:
        return [f"if not ({condition}):", *_indent(no)] if no else []
    return [f"if {condition}:", *_indent(yes), *(["else:", *_indent(no)] if no else [])]


def _indent(lines: Iterable[str]) -> list[str]:
    return ["    " + line for line in lines]


def run_on_names(fn: Callable[..., Any], tape: Tape, *args: Any, overrides: dict[str, Any] | None = None) -> Any:
    """Call ``fn`` on names: its code as it is, its helpers recording calls on ``tape`` (``overrides`` binds some of
    the names it looks up to given things)."""
    return _rebound(fn, tape, overrides)(*args)
