"""Property: on any story that passes the checker, random choices reach an ending or the
loop bound without an error."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.story import check_story
from bot.story.simulate import SimulationReport, run_once
from tests.properties import examples

VARIABLES = {
    "fuel": {"type": "int", "initial": 3, "min": 0, "max": 6},
    "alarm": {"type": "bool", "initial": False},
    "mood": {"type": "text", "initial": "calm"},
}

conditions = st.sampled_from(
    [
        None,
        "fuel > 2",
        "fuel <= 1",
        "not alarm",
        "alarm and fuel > 0",
        "mood == 'tense'",
        "visits('s0') > 1",
        "vote_unanimous",
        "turn < 5",
    ]
)
odds = st.sampled_from([0.0, 0.5, 1.0, "min(1, fuel / 6)", "0.9 if alarm else 0.2"])
effects = st.fixed_dictionaries(
    {},
    optional={
        "add": st.dictionaries(st.just("fuel"), st.integers(-3, 3), min_size=1),
        "set": st.dictionaries(
            st.sampled_from(["alarm", "mood"]), st.sampled_from([True, False]), min_size=1
        ).map(
            lambda d: {k: (v if k == "alarm" else ("tense" if v else "calm")) for k, v in d.items()}
        ),
    },
)


@st.composite
def stories(draw: st.DrawFn) -> dict:
    scene_count = draw(st.integers(1, 8))
    ending_count = draw(st.integers(1, 3))
    scene_ids = [f"s{i}" for i in range(scene_count)]
    ending_ids = [f"e{i}" for i in range(ending_count)]
    targets = st.sampled_from(scene_ids + ending_ids)

    def outcome(forced_target: str | None) -> dict:
        result: dict = {}
        found_effects = draw(effects)
        if found_effects:
            result["effects"] = found_effects
        if forced_target is None and draw(st.booleans()):
            result["roll"] = {
                "odds": draw(odds),
                "success": draw(targets),
                "failure": draw(targets),
            }
        else:
            result["goto"] = forced_target or draw(targets)
        return result

    scenes = []
    for index, scene_id in enumerate(scene_ids):
        # A chain through every scene, then to an ending, keeps everything reachable.
        chain = scene_ids[index + 1] if index + 1 < scene_count else ending_ids[0]
        choices = []
        for number in range(draw(st.integers(1, 4))):
            choice = {"id": f"c{number}", "label": f"Choice {number}", "by": "ana"}
            condition = None if number == 0 else draw(conditions)
            if condition:
                choice["if"] = condition
            choice.update(outcome(chain if number == 0 else None))
            choices.append(choice)
        scene = {
            "id": scene_id,
            "title": f"Scene {index}",
            "text": "Fuel {fuel}.",
            "choices": choices,
        }
        if draw(st.booleans()):
            scene["no_decision"] = outcome(None)
        scenes.append(scene)
    reached = set(scene_ids) | {ending_ids[0]}
    for scene in scenes:
        for item in [*scene["choices"], scene.get("no_decision") or {}]:
            reached.update(filter(None, [item.get("goto"), *(item.get("roll") or {}).values()]))
    endings = [
        {"id": e, "title": f"Ending {e}", "text": "Over with {fuel} fuel."}
        for e in ending_ids
        if e in reached
    ]
    return {
        "story": {
            "id": "generated",
            "title": "Generated",
            "summary": "A random story.",
            "start": "s0",
        },
        "crew": [{"id": "ana", "name": "Ana", "role": "Pilot", "colour": "#123456"}],
        "variables": VARIABLES,
        "scenes": scenes,
        "endings": endings,
    }


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=stories(), seed=st.integers(0, 2**31))
def test_random_play_on_any_checked_story_ends_or_hits_the_bound(
    data: dict, seed: int, tmp_path: Path
) -> None:
    folder = tmp_path / "story"
    folder.mkdir(exist_ok=True)
    (folder / "story.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    story, _problems = check_story(folder)
    assume(story is not None)
    assert story is not None
    report = SimulationReport(story.id, 20, seed)
    for offset in range(20):
        run_once(story, seed + offset, report, step_limit=200)
    assert report.errors == []
    assert report.dead_ends == []
    assert len(report.lengths) + len(report.loops) == 20


def test_generator_yields_stories_that_pass(tmp_path: Path) -> None:
    """Guard for the property above: most generated stories must pass the checker."""
    passed = 0

    @settings(max_examples=examples(30), deadline=None, database=None)
    @given(data=stories())
    def count(data: dict) -> None:
        nonlocal passed
        folder = tmp_path / "story"
        folder.mkdir(exist_ok=True)
        (folder / "story.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        story, _problems = check_story(folder)
        passed += story is not None

    count()
    assert passed >= 10
