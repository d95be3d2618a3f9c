"""Running an op's own Python on names instead of numbers, to write it as code: JAX's tracers at our scale.

A ``Sym`` stands for a float whose value is not known, only its name or expression (``x``, ``w * d_z``).
Arithmetic on it builds a longer expression; a helper the code calls (``ieee_div``, ``math.exp``, ``max``)
with a Sym among its arguments is recorded as a call, not traced into. A comparison gives a Sym too, and when
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

from ..engine.ieee import ieee_pow
from ..rebinding import names_used, with_globals

#: precedence of Python's operators, loosest first: a sub-expression looser than its place gets parentheses
_TERNARY, _COMPARE, _SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 0, 4, 5, 6, 7, 8, 9
_BINARY = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "//": _PRODUCT, "%": _PRODUCT, "**": _POWER}
MAX_DEPTH = 40  # a longer chain of operations is cut into temporaries, so that compile() never nests deeply


def number(x: float) -> str:
    """A number as code that gives exactly it back (``repr`` round-trips; inf and nan are names here)."""
    if isinstance(x, bool):
        return str(int(x))
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


class Sym:
    """A number known only by the code that computes it."""

    __slots__ = ("text", "prec", "depth", "tape")

    def __init__(self, text: str, tape: Tape, prec: int = _ATOM, depth: int = 0) -> None:
        self.text, self.tape, self.prec, self.depth = text, tape, prec, depth

    def _binary(self, op: str, other: Any, reflected: bool = False) -> Sym:
        a, b = (other, self) if reflected else (self, other)
        prec = _BINARY[op]
        right_assoc = op == "**"
        left = self.tape.operand(a, prec + (1 if right_assoc else 0))
        right = self.tape.operand(b, prec + (0 if right_assoc else 1))
        depth = 1 + max(getattr(a, "depth", 0), getattr(b, "depth", 0))
        return self.tape.bounded(Sym(f"{left} {op} {right}", self.tape, prec, depth))

    def __add__(self, o: Any) -> Sym:
        return self._binary("+", o)

    def __radd__(self, o: Any) -> Sym:
        return self._binary("+", o, True)

    def __sub__(self, o: Any) -> Sym:
        return self._binary("-", o)

    def __rsub__(self, o: Any) -> Sym:
        return self._binary("-", o, True)

    def __mul__(self, o: Any) -> Sym:
        return self._binary("*", o)

    def __rmul__(self, o: Any) -> Sym:
        return self._binary("*", o, True)

    def __truediv__(self, o: Any) -> Sym:
        return self._binary("/", o)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._binary("/", o, True)

    def __pow__(self, o: Any) -> Sym:
        return self._binary("**", o)

    def __rpow__(self, o: Any) -> Sym:
        return self._binary("**", o, True)

    def __neg__(self) -> Sym:
        return Sym(f"-{self.tape.operand(self, _UNARY)}", self.tape, _UNARY, self.depth + 1)

    def __pos__(self) -> Sym:
        return self

    def __abs__(self) -> Any:
        return self.tape.call("abs", builtins.abs, (self,))

    def _compare(self, op: str, other: Any) -> Sym:
        left, right = self.tape.operand(self, _COMPARE + 1), self.tape.operand(other, _COMPARE + 1)
        return Sym(f"{left} {op} {right}", self.tape, _COMPARE, self.depth + 1)

    def __gt__(self, o: Any) -> Sym:
        return self._compare(">", o)

    def __ge__(self, o: Any) -> Sym:
        return self._compare(">=", o)

    def __lt__(self, o: Any) -> Sym:
        return self._compare("<", o)

    def __le__(self, o: Any) -> Sym:
        return self._compare("<=", o)

    def __eq__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._compare("==", o)

    def __ne__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._compare("!=", o)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return self.tape.decide(self)

    def __float__(self) -> float:
        raise TypeError(f"{self.text} has no number while an op is written as code")


class Tape:
    """What one run of some code on names did: its statements, with the conditions it met on the way."""

    def __init__(self, script: list[bool], namer: Callable[[int, str], str]) -> None:
        self.script, self.namer = script, namer
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
        return Sym(name, self)

    def bounded(self, value: Sym) -> Sym:
        """``value``, or a temporary holding it once its expression nests deep enough to strain ``compile``."""
        return self.let(value, "t") if value.depth > MAX_DEPTH else value

    def operand(self, x: Any, prec: int) -> str:
        """``x`` as the code of an operand at precedence ``prec`` (parenthesised when it binds more loosely)."""
        if isinstance(x, Sym):
            return f"({x.text})" if x.prec < prec else x.text
        if isinstance(x, (bool, int, float)):
            text = number(x)
            return f"({text})" if text.startswith("-") and prec > _SUM else text
        if isinstance(x, (tuple, list)):
            inner = ", ".join(self.operand(v, _TERNARY + 1) for v in x)
            return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
        raise TypeError(f"a {type(x).__name__} cannot be written as code")

    def call(self, name: str, fn: Any, args: tuple[Any, ...]) -> Any:
        """``fn(*args)``: recorded as a call when a Sym is among the arguments, run as it is otherwise."""
        if not any(_has_sym(a) for a in args):
            return fn(*args)
        if fn in _POWERS and len(args) == 2 and type(args[1]) is float and args[1] == 1.0:
            return args[0]  # x ** 1.0 is x exactly (nan, inf and -0.0 too): x ** 2's backward reads 2.0 * x * g
        self.helpers.setdefault(name.split(".")[0], _owner(name, fn))
        text = ", ".join(self.operand(a, _TERNARY + 1) for a in args)
        result = Sym(f"{name}({text})", self, _ATOM, 1 + max(getattr(a, "depth", 0) for a in args))
        # a call over many values (max, sum) is written once; a call on one or two stays where it is used
        return self.let(result, name.split(".")[-1]) if any(isinstance(a, (tuple, list)) for a in args) else result


_POWERS = (math.pow, ieee_pow)


def _has_sym(x: Any) -> bool:
    return isinstance(x, Sym) or (isinstance(x, (tuple, list)) and any(_has_sym(v) for v in x))


def _owner(name: str, fn: Any) -> Any:
    """What the program's namespace binds ``name``'s first part to: the module of ``math.exp``, or ``fn``."""
    if "." in name:
        return __import__(name.split(".")[0]) if name.startswith(("math.", "np.")) else fn
    return fn


class _Module:
    """A module seen by code run on names: its functions record calls (``math.exp(x)``), its constants stay."""

    def __init__(self, name: str, module: Any, tape: Tape) -> None:
        self._name, self._module, self._tape = name, module, tape

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._module, attr)
        if callable(value):
            return lambda *args: self._tape.call(f"{self._name}.{attr}", value, args)
        return value


#: functions that give back the same number as their argument, or treat it as a value: run as they are on names
_AS_IS = {"len", "zip", "enumerate", "range", "isinstance", "type", "tuple", "list", "getattr", "iter", "reversed"}


def _rebound(fn: Callable[..., Any], tape: Tape) -> Callable[..., Any]:
    """``fn`` with the helpers its code names rebound so that calls with a Sym are recorded (its code and its
    closure unchanged: only the globals it looks them up in)."""
    names: dict[str, Any] = {}
    module_globals = fn.__globals__
    for name in names_used(fn.__code__):
        if name in module_globals:
            value = module_globals[name]
        elif hasattr(builtins, name) and name not in _AS_IS:
            value = getattr(builtins, name)
        else:
            continue
        if isinstance(value, types.ModuleType) and value.__name__ in ("math", "numpy"):
            names[name] = _Module("np" if value.__name__ == "numpy" else "math", value, tape)
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType)) or value is float:
            names[name] = _recorder(name, value, tape)
    namespace = dict(module_globals, **names)
    return with_globals(fn, namespace)


def _recorder(name: str, fn: Any, tape: Tape) -> Callable[..., Any]:
    if fn is float:  # float(x) of a float expression is the expression
        return lambda x: x if isinstance(x, Sym) else float(x)
    return lambda *args: tape.call(name, fn, args)


class Branches:
    """The code a function writes when run on names, every condition it meets explored both ways."""

    def __init__(self, namer: Callable[[int, str], str]) -> None:
        self.namer = namer
        self.helpers: dict[str, Any] = {}

    def write(self, run: Callable[[Tape], Any], finish: Callable[[Tape, Any], None]) -> list[str]:
        """The statements of ``run(tape)`` for every answer to its conditions, as nested ``if``s. ``finish(tape,
        result)`` writes what ends each path (an assignment of the result, the gradients a path left unset)."""
        return self._block([], run, finish)

    def _block(self, script: list[bool], run: Callable[[Tape], Any], finish: Callable[[Tape, Any], None]) -> list[str]:
        tape = Tape(script, self.namer)
        fork: Fork | None = None
        try:
            result = run(tape)
        except Fork as stop:
            fork = stop
        else:
            finish(tape, result)
        self.helpers.update(tape.helpers)
        lines = [text for asked, text in tape.statements if asked == len(script)]
        if fork is None:
            return lines
        yes = self._block([*script, True], run, finish)
        no = self._block([*script, False], run, finish)
        return lines + _if_else(fork.condition.text, yes, no)


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


def run_on_names(fn: Callable[..., Any], tape: Tape, *args: Any) -> Any:
    """Call ``fn`` on names: its code as it is, its helpers recording calls on ``tape``."""
    return _rebound(fn, tape)(*args)
