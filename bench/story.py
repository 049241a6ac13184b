"""Story engine benchmarks: load + check of a generated 2,000-scene story, and simulated
playthroughs per second (the example story, a generated 15-decision story, Claim Jumpers).

Run by hand: `python bench/story.py [--repeat 5]`. Prints medians; record them in
docs/performance.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.story import StoryError, load_story  # noqa: E402
from bot.story.simulate import simulate  # noqa: E402

VARIABLES = {
    "hull": {"type": "int", "initial": 10, "min": 0, "max": 10, "show": True, "label": "Hull"},
    "fuel": {"type": "int", "initial": 8, "min": 0, "max": 12, "show": True, "label": "Fuel"},
    "trust": {"type": "int", "initial": 3, "min": 0, "max": 5},
    "alarm": {"type": "bool", "initial": False},
    "leak": {"type": "bool", "initial": False},
    "mood": {"type": "text", "initial": "calm"},
}
CONDITIONS = [None, "fuel > 2", "not alarm", "hull >= 4 and trust > 1", "mood == 'tense'"]
CREW = [
    {"id": "ana", "name": "Ana", "role": "Pilot", "colour": "#3366aa"},
    {"id": "bo", "name": "Bo", "role": "Engineer", "colour": "#aa6633"},
]


def layered_story(layers: int, width: int) -> dict:
    """`layers` rows of `width` scenes; every choice leads to the next row; the last row ends."""
    scenes = []
    for layer in range(layers):
        for column in range(width if layer else 1):
            nxt = (
                [f"s{layer + 1}-{c}" for c in range(width)]
                if layer + 1 < layers
                else ["end-good", "end-bad"]
            )
            choices = []
            for number in range(3):
                choice = {
                    "id": f"c{number}",
                    "label": f"Option {number} of scene {layer}-{column}",
                    "by": CREW[number % 2]["id"],
                    "effects": {"add": {"fuel": -1, "trust": number - 1}},
                }
                condition = (
                    CONDITIONS[(layer + column + number) % len(CONDITIONS)] if number else None
                )
                if condition:
                    choice["if"] = condition
                target = nxt[(column + number) % len(nxt)]
                if number == 2:
                    choice["roll"] = {
                        "odds": "min(0.9, 0.2 + hull / 20)",
                        "success": target,
                        "failure": nxt[(column + 4) % len(nxt)],
                    }
                    choice["effects"]["set"] = {"alarm": True, "mood": "tense"}
                else:
                    choice["goto"] = target
                choices.append(choice)
            scenes.append(
                {
                    "id": f"s{layer}-{column}",
                    "title": f"Scene {layer}-{column}",
                    "speaker": "ana",
                    "text": f"Deck {layer}, bay {column}: hull {{hull}}, fuel {{fuel}}."
                    " {'Alarms.' if alarm else 'Quiet.'} Visit {visits('s0-0')}.",
                    "choices": choices,
                    "no_decision": {
                        "effects": {"add": {"hull": -1}},
                        "goto": nxt[(column + 3) % len(nxt)],
                    },
                }
            )
    return {
        "story": {
            "id": f"gen-{layers}x{width}",
            "title": "Generated",
            "summary": "Benchmark story.",
            "start": "s0-0",
        },
        "crew": CREW,
        "variables": VARIABLES,
        "scenes": scenes,
        "endings": [
            {"id": "end-good", "title": "Good", "text": "Home with hull {hull}."},
            {"id": "end-bad", "title": "Bad", "text": "Lost."},
        ],
    }


def write(data: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "story.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        big = write(layered_story(401, 5), Path(tmp) / "big")
        times = timed(lambda: load_story(big), args.repeat)
        story = load_story(big)
        print(
            f"load+check of {len(story.scenes)} scenes: median {statistics.median(times) * 1000:.0f} ms"
            f" (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}; goal < 1000 ms)"
        )
        fifteen = load_story(write(layered_story(15, 3), Path(tmp) / "fifteen"))
        targets = [("example (docs/example-story)", load_story(ROOT / "docs" / "example-story"))]
        targets.append(("generated 15-decision story", fifteen))
        claim = ROOT / "content" / "claim-jumpers"
        if claim.is_dir():
            try:
                targets.append(("claim-jumpers", load_story(claim)))
            except StoryError as exc:
                print(
                    f"claim-jumpers does not pass the check, skipped ({len(exc.problems)} problems)"
                )
        for name, target in targets:
            rates, steps = [], 0.0
            for repeat in range(args.repeat):
                start = time.perf_counter()
                report = simulate(target, args.runs, seed=repeat * args.runs)
                rates.append(args.runs / (time.perf_counter() - start))
                steps = report.average
            print(
                f"simulate {name}: median {statistics.median(rates):,.0f} playthroughs/s"
                f" (min {min(rates):,.0f}, max {max(rates):,.0f}; {steps:.1f} decisions a run;"
                " goal >= 5,000/s for 15 decisions)"
            )


if __name__ == "__main__":
    main()
