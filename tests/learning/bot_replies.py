"""Run in the Rasa environment: `bot_replies.py MODEL TEXT…` prints, as one JSON line, what the
whole bot (tests/dialogue/harness.py: NLU, every policy, the actions in-process) answers to each
text as the first message of a fresh conversation, with the intent and the FAQ the NLU chose."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(model: str, texts: list[str]) -> None:
    from tests.dialogue.harness import FakeBridge, InProcessBot

    bot = InProcessBot(model, FakeBridge())
    out = []
    for text in texts:
        parse = bot.run(bot.agent.parse_message(text))
        selector = (parse.get("response_selector") or {}).get("default") or {}
        response = selector.get("response") or {}
        reply = bot.conversation().say(text)
        out.append(
            {
                "text": text,
                "intent": parse["intent"]["name"],
                "confidence": round(float(parse["intent"]["confidence"]), 4),
                "response_key": response.get("intent_response_key"),
                "actions": reply.actions,
                "said": reply.said,
            }
        )
    bot.close()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
