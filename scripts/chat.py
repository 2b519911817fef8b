"""Chat with the running assistant in a terminal, through Rasa's REST channel.

    .venv-rasa/bin/python scripts/chat.py [--url http://127.0.0.1:5005] [--sender me]

Buttons are shown numbered: type the number to press one. Ctrl-D or /quit ends the chat.
"""
from __future__ import annotations

import argparse
import json
import urllib.request
import uuid


def send(url: str, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"[]")


def show(replies: list[dict]) -> list[dict]:
    buttons: list[dict] = []
    for reply in replies:
        if reply.get("text"):
            print(f"小力: {reply['text']}")
        for button in reply.get("buttons") or []:
            buttons.append(button)
            print(f"   [{len(buttons)}] {button['title']}")
    if not replies:
        print("(机器人没有回复:会话可能已转人工)")
    return buttons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default=f"demo-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    print("和小力聊天吧(输入 /quit 退出,数字选择按钮)。")
    buttons: list[dict] = []
    while True:
        try:
            text = input("您: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text == "/quit":
            return
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = show(send(args.url, args.sender, text))


if __name__ == "__main__":
    main()
