"""The story as a graph, for authors: scenes and endings as nodes, choices as labelled edges,
chance rolls as their own small nodes with the odds written on them. Mermaid for Markdown
(GitHub renders it), DOT for Graphviz."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .compiled import CompiledOutcome
from .runtime import Story


@dataclass(frozen=True)
class Edge:
    """One arrow: from a node to a node, with a label and a style."""

    source: str
    target: str
    label: str
    kind: str  # "choice", "no_decision", "success", "failure"


@dataclass(frozen=True)
class GraphNode:
    """One box: a scene, an ending or a roll."""

    id: str
    label: str
    kind: str  # "start", "scene", "ending", "roll"


def _odds_label(outcome: CompiledOutcome) -> str:
    odds = outcome.odds
    if isinstance(odds, float):
        return f"{round(odds * 100)}%"
    assert odds is not None
    return odds.source


def story_graph(story: Story) -> tuple[list[GraphNode], list[Edge]]:
    """Nodes and edges of the whole story."""
    nodes: list[GraphNode] = []
    edges: list[Edge] = []
    for scene_id, scene in story.scenes.items():
        kind = "start" if scene_id == story.start else "scene"
        nodes.append(GraphNode(scene_id, scene.source.title, kind))
        outcomes = [(c.label, "choice", c.outcome) for c in scene.choices]
        if scene.no_decision is not None:
            outcomes.append(("no decision", "no_decision", scene.no_decision))
        for label, kind, outcome in outcomes:
            roll = outcome.source.roll
            if roll is None:
                assert outcome.source.goto is not None
                edges.append(Edge(scene_id, outcome.source.goto, label, kind))
                continue
            roll_id = f"{scene_id}--{label}--roll"
            nodes.append(GraphNode(roll_id, _odds_label(outcome), "roll"))
            edges.append(Edge(scene_id, roll_id, label, kind))
            edges.append(Edge(roll_id, roll.success, "success", "success"))
            edges.append(Edge(roll_id, roll.failure, "failure", "failure"))
    for ending_id, ending in story.endings.items():
        nodes.append(GraphNode(ending_id, ending.source.title, "ending"))
    return nodes, edges


def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(story: Story) -> str:
    """A Mermaid flowchart of the story."""
    nodes, edges = story_graph(story)
    ids = {node.id: f"n{index}" for index, node in enumerate(nodes)}
    lines = ["flowchart TD"]
    shapes = {
        "start": ("([", "])"),
        "scene": ("[", "]"),
        "ending": ("[[", "]]"),
        "roll": ("{", "}"),
    }
    for node in nodes:
        left, right = shapes[node.kind]
        lines.append(f"    {ids[node.id]}{left}{_mermaid_text(node.label)}{right}")
    arrows = {"choice": "-->", "no_decision": "-.->", "success": "-->", "failure": "-.->"}
    for edge in edges:
        label = _mermaid_text(edge.label)
        lines.append(f"    {ids[edge.source]} {arrows[edge.kind]}|{label}| {ids[edge.target]}")
    lines.append("    classDef ending fill:#2d6a4f,color:#fff")
    lines.append("    classDef roll fill:#f4a261")
    endings = [ids[n.id] for n in nodes if n.kind == "ending"]
    rolls = [ids[n.id] for n in nodes if n.kind == "roll"]
    if endings:
        lines.append(f"    class {','.join(endings)} ending")
    if rolls:
        lines.append(f"    class {','.join(rolls)} roll")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid DOT quoted string


@dataclass(frozen=True)
class Journey:
    """A campaign's way through the story, for its map: the places it has seen, and the
    steps it took as (scene, choice id or None for no decision, where it led)."""

    seen: frozenset[str]
    steps: tuple[tuple[str, str | None, str], ...]

    def bold_edges(self, story: Story) -> frozenset[tuple[str, str, str]]:
        """The graph edges (source, target, label) the journey went along, through the roll
        nodes where it rolled."""
        edges: set[tuple[str, str, str]] = set()
        for scene_id, choice_id, target in self.steps:
            scene = story.scenes.get(scene_id)
            if scene is None:
                continue
            if choice_id is None:
                outcome, label = scene.no_decision, "no decision"
            else:
                choice = scene.by_id.get(choice_id)
                outcome, label = (choice.outcome, choice.label) if choice else (None, "")
            if outcome is None:
                continue
            roll = outcome.source.roll
            if roll is None:
                edges.add((scene_id, target, label))
            else:
                roll_id = f"{scene_id}--{label}--roll"
                result = "success" if target == roll.success else "failure"
                edges.update({(scene_id, roll_id, label), (roll_id, target, result)})
        return frozenset(edges)


def to_dot(
    story: Story,
    *,
    bold: frozenset[tuple[str, str, str]] = frozenset(),
    journey: Journey | None = None,
    reveal: bool = True,
) -> str:
    """A Graphviz digraph of the story; `bold` edges (source, target, label) are drawn heavy.

    With a `journey`, its path is drawn bold and the places it has not seen are dimmed;
    without `reveal`, unseen places and the choices out of them show no text (no spoilers).
    """
    nodes, edges = story_graph(story)
    if journey is not None:
        bold = bold | journey.bold_edges(story)
    hidden: frozenset[str] = frozenset()
    if journey is not None:
        hidden = frozenset(
            n.id for n in nodes if n.kind != "roll" and n.id not in journey.seen
        ) | frozenset(
            n.id for n in nodes if n.kind == "roll" and n.id.split("--", 1)[0] not in journey.seen
        )
    lines = [
        f"digraph {_dot_text(story.id)} {{",
        "    rankdir=TB;",
        '    node [fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]
    shapes = {
        "start": 'shape=box, style="rounded,filled", fillcolor="#bde0fe"',
        "scene": 'shape=box, style="rounded"',
        "ending": 'shape=doubleoctagon, style=filled, fillcolor="#b7e4c7"',
        "roll": 'shape=diamond, style=filled, fillcolor="#f4a261"',
    }
    dimmed = 'color="#bbbbbb", fontcolor="#bbbbbb", style="rounded,dashed", fillcolor=white'
    for node in nodes:
        if node.kind == "roll" and not reveal:
            node = GraphNode(node.id, "chance", node.kind)  # the odds formula is a spoiler
        if node.id in hidden:
            label = node.label if reveal else "?"
            shape = "diamond" if node.kind == "roll" else "box"
            lines.append(
                f"    {_dot_text(node.id)} [label={_dot_text(label)}, shape={shape}, {dimmed}];"
            )
        else:
            lines.append(
                f"    {_dot_text(node.id)} [label={_dot_text(node.label)}, {shapes[node.kind]}];"
            )
    styles = {
        "choice": "",
        "no_decision": ", style=dashed",
        "success": ", color=darkgreen",
        "failure": ", color=firebrick, style=dashed",
    }
    for edge in edges:
        heavy = ", penwidth=3" if (edge.source, edge.target, edge.label) in bold else ""
        faint = ', color="#cccccc", fontcolor="#bbbbbb"' if edge.source in hidden else ""
        label = edge.label if reveal or edge.source not in hidden else ""
        lines.append(
            f"    {_dot_text(edge.source)} -> {_dot_text(edge.target)}"
            f" [label={_dot_text(label)}{styles[edge.kind]}{faint}{heavy}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
