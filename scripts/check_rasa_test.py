"""Read the reports `rasa test` wrote (results/) and fail below the floors: the story conversations and the
held-out NLU intents are on wording that is not in the training data, so a few misses are expected and reported;
a drop below the floor is a regression. Usage: python scripts/check_rasa_test.py [results folder]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

STORY_FLOOR = 0.90  # share of the test stories whose every turn is predicted right
INTENT_FLOOR = 0.85  # intent accuracy on tests/nlu


def main(results: Path) -> int:
    stories = json.loads((results / "story_report.json").read_text())
    intents = json.loads((results / "intent_report.json").read_text())
    conversation = stories.get("conversation_accuracy", {})
    accuracy = conversation.get("accuracy", 0.0)
    print(
        f"rasa test stories: {conversation.get('correct')}/{conversation.get('total')} conversations right "
        f"(accuracy {accuracy:.3f}, floor {STORY_FLOOR}); action accuracy {stories['accuracy']:.3f}"
    )
    print(
        f"rasa test NLU: intent accuracy {intents['accuracy']:.3f} (floor {INTENT_FLOOR}), "
        f"weighted F1 {intents['weighted avg']['f1-score']:.3f}"
    )
    failed = results / "failed_test_stories.yml"
    if failed.is_file() and failed.read_text().strip():
        print(f"wrongly predicted turns: {failed}")
    return 0 if accuracy >= STORY_FLOOR and intents["accuracy"] >= INTENT_FLOOR else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")))
