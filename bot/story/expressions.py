"""Safe expressions for conditions, odds and text, compiled once when a story loads.

Parsing and evaluation are simpleeval's; this module adds what a checker needs on top: the
names an expression reads, the scenes it counts visits of, and a refusal of anything that is
not plain arithmetic, logic and comparison over the story's own values. Budgets on the length
of an expression, its size once its definitions are put in and the digits of its numbers keep
a hostile story from costing more than a moment to refuse.
"""

from __future__ import annotations

import ast
import copy
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from simpleeval import SimpleEval

from .source import number_problem

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

#: The longest expression source, in characters (Claim Jumpers' longest is under 100).
CHARACTER_LIMIT = 1000
#: The most syntax nodes of an expression once its definitions are put in (Claim Jumpers'
#: largest has 48): each is evaluated over hundreds of sample states when the story loads.
SIZE_LIMIT = 1000
#: The deepest nesting of an expression once its definitions are put in (Claim Jumpers'
#: deepest is under 10): evaluation recurses once a level.
DEPTH_LIMIT = 100

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
    """An expression that cannot be compiled: bad syntax, an unknown name, a forbidden form.

    `name` is the unknown name, when that is what is wrong."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


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

    def __init__(self, definitions: Mapping[str, Definition]) -> None:
        self.definitions = definitions

    def visit_Name(self, node: ast.Name) -> ast.expr:
        definition = self.definitions.get(node.id)
        return copy.deepcopy(definition.body) if definition is not None else node


def shown(source: str) -> str:
    """An expression as quoted in a message: cut short when it is long."""
    return source if len(source) <= 80 else source[:80] + "…"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the known name closest to `name`, or nothing."""
    hint = difflib.get_close_matches(name, [k for k in known if k != name], n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _parse(text: str) -> ast.AST:
    """The tree simpleeval evaluates, parsed as its own `parse` does; every way that can fail
    (simpleeval's InvalidExpression for an empty one, Python's parser on deep nesting, its
    silent dropping of a second statement) is an ExpressionError instead."""
    if len(text) > CHARACTER_LIMIT:
        raise ExpressionError(
            f"{len(text)} characters; an expression has at most {CHARACTER_LIMIT:,}"
        )
    try:
        module = ast.parse(text)
    except SyntaxError as exc:
        raise ExpressionError(f"does not compile: {exc.msg}") from exc
    except (RecursionError, MemoryError) as exc:  # Python's parser gives up on deep nesting
        raise ExpressionError("nested too deeply") from exc
    if not module.body:
        comment = " (everything after a '#' is a comment)" if "#" in text else ""
        raise ExpressionError(f"empty expression{comment}")
    if len(module.body) > 1:
        raise ExpressionError("one expression only (a ';' or a line break starts another)")
    return module.body[0]  # the tree SimpleEval.parse gives, its evaluator's input


@dataclass(frozen=True)
class Definition:
    """A `define:` name's expression (its own definitions already put in), and what putting
    it in costs: its size in syntax nodes and its depth in nested expressions."""

    body: ast.expr
    size: int
    depth: int

    @classmethod
    def of(cls, expression: Expression) -> Definition:
        """The definition whose body is a compiled expression's."""
        tree = expression.tree
        body = tree.value if isinstance(tree, ast.Expr) else tree
        assert isinstance(body, ast.expr)
        return cls(body, *_measure(body, {}))


def _measure(tree: ast.AST, definitions: Mapping[str, Definition]) -> tuple[int, int]:
    """The size and depth `tree` will have once `definitions` are put in, without doing it."""
    size = depth = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, level = stack.pop()
        definition = definitions.get(node.id) if isinstance(node, ast.Name) else None
        if definition is not None:
            size += definition.size
            depth = max(depth, level + definition.depth)
            continue
        size += 1
        level += isinstance(node, ast.expr)
        depth = max(depth, level)
        stack.extend((child, level) for child in ast.iter_child_nodes(node))
    return size, depth


def compile_expression(
    source: str,
    variables: Mapping[str, Any],
    places: frozenset[str],
    definitions: Mapping[str, Definition] | None = None,
) -> Expression:
    """Compile `source`, refusing unknown names, unknown scenes, forbidden syntax and
    anything past the budgets.

    A story's `define:` names are expanded in place, so they cost nothing at play time; an
    expansion past the budgets is refused before it is made."""
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    tree = _parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            literal = ast.get_source_segment(text, node) or str(node.value)
            problem = number_problem(literal)
            if problem is not None:
                raise ExpressionError(problem)
    size, depth = _measure(tree, definitions or {})
    expanded = " once its definitions are put in" if definitions else ""
    if size > SIZE_LIMIT:
        raise ExpressionError(f"{size} parts{expanded}; an expression has at most {SIZE_LIMIT:,}")
    if depth > DEPTH_LIMIT:
        raise ExpressionError(
            f"nested {depth} deep{expanded}; an expression is nested at most {DEPTH_LIMIT} deep"
        )
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
                    raise ExpressionError(
                        f"visits() names unknown scene '{scene}'" + did_you_mean(scene, places)
                    )
                visits.add(scene)
        elif isinstance(node, ast.Name) and node.id not in FUNCTION_NAMES:
            if node.id in ("True", "False", "None"):
                continue
            if node.id not in variables and node.id not in VALUE_NAMES:
                known = [*variables, *VALUE_NAMES, *(definitions or ())]
                message = f"unknown variable '{node.id}'" + did_you_mean(node.id, known)
                raise ExpressionError(message, node.id)
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

    def __init__(self, message: str, offset: int, name: str | None = None) -> None:
        super().__init__(message, name)
        self.offset = offset


def compile_template(
    text: str,
    variables: Mapping[str, Any],
    places: frozenset[str],
    known: dict[str, Expression] | None = None,
    definitions: Mapping[str, Definition] | None = None,
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
                    message = f"in '{shown(token)}': {exc}"
                    raise TemplateError(message, match.start(), exc.name) from exc
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
