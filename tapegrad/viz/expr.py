"""A safe parser for the expressions and small programs of ``tapegrad graph``.

Accepted: one expression (``exp(x*z) + x*z/log(x)``) or a program of
assignments separated by ``;`` or new lines (``a = x*z; b = log(x); y = a/b``),
whose output is the last assignment.  Python's ``ast`` parses the text and a
whitelist checks every node: names, numbers, ``+ - * / **``, unary ``-``/``+``
and calls of the functions in ``FUNCTIONS``.  Nothing is ever passed to
``eval``; attribute access, subscripts, imports, lambdas, keywords and unknown
names are rejected with a one-line ``ExprError``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

MAX_CHARS = 2000

FUNCTIONS = ("exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "sqrt", "relu", "abs")

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class ExprError(ValueError):
    """The text is not an expression or program this parser accepts."""


@dataclass
class Program:
    """Parsed program: ``steps`` are ``(name, expr_ast)`` in order; ``output``
    names the result; ``inputs`` are the free names in order of first use."""

    steps: list
    output: str
    inputs: list = field(default_factory=list)
    text: str = ""


def parse(text: str) -> Program:
    """Parse ``text`` into a ``Program`` (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression: give e.g. 'exp(x*z) + log(x)'")
    if len(text) > MAX_CHARS:
        raise ExprError(f"expression too long: {len(text)} characters (the limit is {MAX_CHARS})")
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except SyntaxError as err:
        raise ExprError(f"syntax error at column {err.offset or 0}: {err.msg}") from None
    if not tree.body:
        raise ExprError("empty expression")
    steps: list = []
    defined: set = set()
    inputs: list = []
    for i, stmt in enumerate(tree.body):
        last = i == len(tree.body) - 1
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise ExprError("an assignment must have one plain name on the left: 'a = x*z'")
            name = stmt.targets[0].id
            _check_name(name)
            if name in FUNCTIONS:
                raise ExprError(f"cannot assign to the function name {name!r}")
            value = stmt.value
        elif isinstance(stmt, ast.Expr) and last:
            name, value = "y" if "y" not in defined else "out", stmt.value
        elif isinstance(stmt, ast.Expr):
            raise ExprError("only the last statement may be a bare expression; use 'name = ...'")
        else:
            raise ExprError(f"not allowed: {type(stmt).__name__.lower()} statements")
        for used in _check_expr(value):
            if used not in defined and used not in inputs:
                inputs.append(used)
        defined.add(name)
        steps.append((name, value))
    return Program(steps, steps[-1][0], [n for n in inputs if n not in _assigned(steps)], text)


def _assigned(steps) -> set:
    return {name for name, _ in steps}


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise ExprError(f"names may not start with '_': {name!r}")


def _check_expr(node) -> list:
    """Every node of ``node`` must be whitelisted; returns the names used."""
    used: list = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
                raise ExprError(f"only numbers are allowed as constants, not {n.value!r}")
        elif isinstance(n, ast.Name):
            _check_name(n.id)
            if n.id in FUNCTIONS:
                raise ExprError(f"{n.id!r} is a function: call it, e.g. {n.id}(x)")
            used.append(n.id)
        elif isinstance(n, ast.BinOp):
            if type(n.op) not in _BINOPS:
                raise ExprError(f"operator not allowed: {type(n.op).__name__}")
            stack.extend([n.right, n.left])
        elif isinstance(n, ast.UnaryOp):
            if not isinstance(n.op, (ast.USub, ast.UAdd)):
                raise ExprError(f"operator not allowed: {type(n.op).__name__}")
            stack.append(n.operand)
        elif isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                raise ExprError("only calls of plain function names are allowed (no attributes)")
            if n.func.id not in FUNCTIONS:
                raise ExprError(f"unknown function {n.func.id!r}; allowed: {', '.join(FUNCTIONS)}")
            if n.keywords or len(n.args) != 1:
                raise ExprError(f"{n.func.id}() takes exactly one positional argument")
            stack.append(n.args[0])
        elif isinstance(n, ast.Attribute):
            raise ExprError(f"attribute access is not allowed: '.{n.attr}'")
        else:
            raise ExprError(f"not allowed in an expression: {type(n).__name__}")
    # names in reading order (the stack walks right operands after left ones)
    seen: list = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id not in seen:
            seen.append(n.id)
    return [n for n in seen if n in used]


def parse_bindings(items) -> dict:
    """``["x=2", "z=3"]`` -> ``{"x": 2.0, "z": 3.0}`` (one-line errors)."""
    out: dict = {}
    for item in items or ():
        for part in str(item).replace(",", " ").split():
            name, sep, value = part.partition("=")
            if not sep or not name.isidentifier():
                raise ExprError(f"--at expects name=value pairs like x=2, got {part!r}")
            try:
                out[name] = float(value)
            except ValueError:
                raise ExprError(f"--at {name}: {value!r} is not a number") from None
    return out


def run(program: Program, values: dict, dtype=None) -> tuple:
    """Evaluate ``program`` with tapegrad ops on leaf tensors made from
    ``values`` (float64, ``requires_grad=True``, named).  Returns
    ``(output_tensor, inputs_dict, env)``."""
    import tapegrad as tg

    missing = [n for n in program.inputs if n not in values]
    if missing:
        raise ExprError(
            f"no value for {', '.join(missing)}: pass --at " + " ".join(f"{n}=..." for n in missing)
        )
    extra = [n for n in values if n not in program.inputs]
    if extra:
        raise ExprError(f"--at names {', '.join(extra)} not used by the expression")
    dtype = dtype or tg.float64
    env = {n: tg.tensor(values[n], dtype=dtype, requires_grad=True, name=n) for n in program.inputs}
    inputs = dict(env)
    for name, node in program.steps:
        val = _eval(node, env, tg)
        if not isinstance(val, tg.Tensor):
            val = tg.tensor(float(val), dtype=dtype)
        if val.name is None or val.name not in env:
            val.name = name
        env[name] = val
    return env[program.output], inputs, env


def _eval(node, env, tg):
    """Evaluate a checked expression tree iteratively (deep nesting is fine)."""
    funcs = {f: getattr(tg, f) for f in FUNCTIONS}
    ops = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "**": lambda a, b: a**b,
    }
    results: dict = {}
    stack = [(node, False)]
    while stack:
        n, ready = stack.pop()
        if isinstance(n, ast.Constant):
            results[id(n)] = float(n.value)
        elif isinstance(n, ast.Name):
            results[id(n)] = env[n.id]
        elif not ready:
            stack.append((n, True))
            kids = _children(n)
            stack.extend((k, False) for k in reversed(kids))
        elif isinstance(n, ast.BinOp):
            a, b = results[id(n.left)], results[id(n.right)]
            if not isinstance(a, tg.Tensor) and not isinstance(b, tg.Tensor):
                results[id(n)] = _number_op(_BINOPS[type(n.op)], a, b)
            else:
                results[id(n)] = ops[_BINOPS[type(n.op)]](a, b)
        elif isinstance(n, ast.UnaryOp):
            v = results[id(n.operand)]
            results[id(n)] = -v if isinstance(n.op, ast.USub) else v
        elif isinstance(n, ast.Call):
            arg = results[id(n.args[0])]
            if not isinstance(arg, tg.Tensor):
                arg = tg.tensor(arg, dtype=tg.float64)
            results[id(n)] = funcs[n.func.id](arg)
    return results[id(node)]


def _children(n) -> list:
    if isinstance(n, ast.BinOp):
        return [n.left, n.right]
    if isinstance(n, ast.UnaryOp):
        return [n.operand]
    if isinstance(n, ast.Call):
        return [n.args[0]]
    return []


def _number_op(op: str, a: float, b: float) -> float:
    try:
        if op == "**":
            return float(a**b)
        return {"+": a + b, "-": a - b, "*": a * b}[op] if op != "/" else a / b
    except (ZeroDivisionError, OverflowError) as err:
        raise ExprError(f"constant arithmetic failed: {err}") from None


def evaluate_number(text: str, names: dict) -> float:
    """Evaluate a partial's text (``-a/b**2``) on Python numbers, with the
    same whitelist; raises ``ExprError`` when it is not plain arithmetic."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ExprError(f"not an arithmetic expression: {text!r}") from None
    fn = {
        "exp": math.exp,
        "log": math.log,
        "sin": math.sin,
        "cos": math.cos,
        "tan": math.tan,
        "tanh": math.tanh,
        "sqrt": math.sqrt,
        "abs": abs,
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "relu": lambda v: max(v, 0.0),
    }

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.Name) and n.id in names:
            return float(names[n.id])
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            return _number_op(_BINOPS[type(n.op)], ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in fn:
            return float(fn[n.func.id](*[ev(a) for a in n.args]))
        raise ExprError(f"cannot evaluate {text!r}")

    try:
        return ev(tree)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError) as err:
        raise ExprError(f"cannot evaluate {text!r}: {err}") from None
