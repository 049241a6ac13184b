"""Safe expressions for conditions, odds and text, compiled once when a story loads.

Parsing and evaluation are simpleeval's; this module adds what a checker needs on top: the
names an expression reads, the scenes it counts visits of, and a refusal of anything that is
not plain arithmetic, logic and comparison over the story's own values.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from simpleeval import SimpleEval

#: Names every expression may read besides the story's variables.
VOTE_NAMES = (
    "vote_turnout",
    "vote_margin",
    "vote_share",
    "vote_margin_share",
    "vote_turnout_ratio",
    "vote_unanimous",
    "vote_united",
    "vote_narrow",
    "vote_how",
)
VALUE_NAMES = ("turn", *VOTE_NAMES)
FUNCTION_NAMES = ("visits", "pct", "min", "max", "abs", "round")
RESERVED_NAMES = frozenset(VALUE_NAMES + FUNCTION_NAMES + ("True", "False", "None"))
VOTE_HOW = ("start", "majority", "tie", "decided", "no_decision")

_ALLOWED_NODES = (
    ast.Expr,
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
)


class ExpressionError(ValueError):
    """An expression that cannot be compiled: bad syntax, an unknown name, a forbidden form."""


def format_value(value: Any) -> str:
    """How a value reads in a story's text: booleans as yes/no, floats without noise."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def pct(value: float) -> str:
    """`pct(0.35)` is `35%`: odds as Sofia would say them."""
    return f"{round(float(value) * 100)}%"


@dataclass(frozen=True)
class Expression:
    """A compiled expression and what it reads."""

    source: str
    tree: ast.AST
    names: frozenset[str]
    visits: frozenset[str]
    #: Set when the whole expression is one variable name: read it without the evaluator.
    bare_name: str | None = None

    def evaluate(self, evaluator: SimpleEval) -> Any:
        """Evaluate with the names and functions currently set on `evaluator`."""
        if self.bare_name is not None:
            return evaluator.names[self.bare_name]
        return evaluator.eval(self.source, previously_parsed=self.tree)


def _literal_visits(call: ast.Call) -> str:
    if (
        len(call.args) != 1
        or call.keywords
        or not isinstance(call.args[0], ast.Constant)
        or not isinstance(call.args[0].value, str)
    ):
        raise ExpressionError("visits() takes one scene id in quotes, like visits('bridge')")
    return call.args[0].value


class _Expand(ast.NodeTransformer):
    """Replaces each name of a definition by the definition's own expression."""

    def __init__(self, definitions: Mapping[str, ast.expr]) -> None:
        self.definitions = definitions

    def visit_Name(self, node: ast.Name) -> ast.expr:
        body = self.definitions.get(node.id)
        return copy.deepcopy(body) if body is not None else node


def compile_expression(
    source: str,
    variables: Mapping[str, Any],
    places: frozenset[str],
    definitions: Mapping[str, ast.expr] | None = None,
) -> Expression:
    """Compile `source`, refusing unknown names, unknown scenes and forbidden syntax.

    A story's `define:` names are expanded in place, so they cost nothing at play time."""
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    try:
        tree = SimpleEval.parse(text)
    except SyntaxError as exc:
        raise ExpressionError(f"does not compile: {exc.msg}") from exc
    if definitions:
        tree = ast.fix_missing_locations(_Expand(definitions).visit(tree))
    names: set[str] = set()
    visits: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTION_NAMES:
                raise ExpressionError(
                    f"only these functions can be called: {', '.join(FUNCTION_NAMES)}"
                )
            if node.func.id == "visits":
                scene = _literal_visits(node)
                if scene not in places:
                    raise ExpressionError(f"visits() names unknown scene '{scene}'")
                visits.add(scene)
        elif isinstance(node, ast.Name) and node.id not in FUNCTION_NAMES:
            if node.id in ("True", "False", "None"):
                continue
            if node.id not in variables and node.id not in VALUE_NAMES:
                raise ExpressionError(f"unknown variable '{node.id}'")
            names.add(node.id)
    body = tree.value if isinstance(tree, ast.Expr) else None
    bare = body.id if isinstance(body, ast.Name) and body.id in names else None
    return Expression(text, tree, frozenset(names), frozenset(visits), bare)


_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Template:
    """Text with `{expression}` parts; `{{` and `}}` are literal braces."""

    parts: tuple[str | Expression, ...]
    names: frozenset[str] = field(default=frozenset())
    visits: frozenset[str] = field(default=frozenset())

    @property
    def expressions(self) -> Iterator[Expression]:
        """Each expression the text substitutes."""
        return (part for part in self.parts if isinstance(part, Expression))

    def render(self, evaluate: Callable[[Expression], Any]) -> str:
        """The text with every expression replaced by its value."""
        return "".join(
            part if isinstance(part, str) else format_value(evaluate(part)) for part in self.parts
        )


class TemplateError(ExpressionError):
    """A text whose substitution cannot compile, with its offset in the text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def compile_template(
    text: str,
    variables: Mapping[str, Any],
    places: frozenset[str],
    known: dict[str, Expression] | None = None,
    definitions: Mapping[str, ast.expr] | None = None,
) -> Template:
    """Split text into literal parts and compiled expressions (reusing `known` ones)."""
    known = {} if known is None else known
    parts: list[str | Expression] = []
    literal: list[str] = []
    position = 0
    for match in _FIELD.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif token in ("{", "}"):
            raise TemplateError(
                f"unmatched '{token}' in text (write '{token}{token}' for a literal brace)",
                match.start(),
            )
        else:
            source = match.group(1).strip()
            expression = known.get(source)
            if expression is None:
                try:
                    expression = compile_expression(source, variables, places, definitions)
                except ExpressionError as exc:
                    raise TemplateError(f"in '{token}': {exc}", match.start()) from exc
                known[source] = expression
            parts.append("".join(literal))
            literal = []
            parts.append(expression)
    literal.append(text[position:])
    parts.append("".join(literal))
    kept = tuple(part for part in parts if part != "")
    expressions = [part for part in kept if isinstance(part, Expression)]
    return Template(
        kept,
        frozenset().union(*(e.names for e in expressions)),
        frozenset().union(*(e.visits for e in expressions)),
    )


def new_evaluator() -> SimpleEval:
    """An evaluator with only the story functions; `visits` is bound per state."""
    return SimpleEval(
        names={},
        functions={"pct": pct, "min": min, "max": max, "abs": abs, "round": round},
    )
