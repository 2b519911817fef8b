"""Run in the Rasa environment (.venv-rasa) by tests/bridge/test_trust_rasa.py; prints one JSON line.

rasa_check.py read FILE      what Rasa's own reader (RasaYAMLReader) makes of an NLU file:
                             {"examples", "responses"} or {"error"}
rasa_check.py parse TEXT…    the intent Rasa 3.6 reads from each text without the NLU (its
                             "/intent{…}" shortcut, on the text as the project's normaliser
                             leaves it — RegexMessageHandler runs after the pipeline): {"intents"}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read(path: str) -> dict:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    try:
        data = RasaYAMLReader().read(path)
    except Exception as error:  # noqa: BLE001 - the answer is what went wrong
        return {"error": f"{type(error).__name__}: {error}"[:500]}
    return {"examples": len(data.intent_examples), "responses": len(data.responses)}


def parse(texts: list[str]) -> dict:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    sys.path.insert(0, str(ROOT))
    from jieli_nlu.normalize import normalize_text

    domain = Domain.load(str(ROOT / "domain.yml"))
    intents = []
    for text in texts:
        message = YAMLStoryReader.unpack_regex_message(Message({TEXT: normalize_text(text)}), domain)
        intents.append((message.get(INTENT) or {}).get("name"))
    return {"intents": intents}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    print(json.dumps(read(args[0]) if command == "read" else parse(args), ensure_ascii=False))
