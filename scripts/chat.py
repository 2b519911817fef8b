"""Chat with Jieli from a terminal, as a customer, through the bridge's customer API.

    .venv/bin/python scripts/chat.py [--url http://127.0.0.1:8080]

Buttons are shown numbered: type the number to press one. An empty line fetches new messages
(an agent's replies, queue updates). Ctrl-D or /quit ends the chat.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
import uuid

NAMES = {"bot": "小力", "agent": "客服", "system": "系统", "customer": "您"}


class Bridge:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        created = self.call("POST", "/api/conversations", {"metadata": {"page": "terminal"}})
        self.conversation, self.token = created["conversation_id"], created["token"]
        self.last_seq = 0

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"{}")

    def send(self, text: str) -> list[dict]:
        answer = self.call(
            "POST",
            f"/api/conversations/{self.conversation}/messages",
            {"text": text, "client_msg_id": uuid.uuid4().hex},
        )
        if "error" in answer:
            print(f"(出错了：{answer['error']['message']})")
        return self.fetch()

    def fetch(self) -> list[dict]:
        answer = self.call("GET", f"/api/conversations/{self.conversation}/messages?after={self.last_seq}")
        messages = answer.get("messages", [])
        if messages:
            self.last_seq = messages[-1]["seq"]
        return messages


def show(messages: list[dict]) -> list[dict]:
    buttons: list[dict] = []
    for message in messages:
        if message["sender"] == "customer":
            continue
        print(f"{NAMES.get(message['sender'], message['sender'])}: {message.get('text') or ''}")
        for button in (message.get("payload") or {}).get("buttons") or []:
            buttons.append(button)
            print(f"   [{len(buttons)}] {button['title']}")
    return buttons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    args = parser.parse_args()
    bridge = Bridge(args.url)
    print("和小力聊天吧（/quit 退出，数字选择按钮，空行刷新）。")
    buttons: list[dict] = []
    while True:
        try:
            text = input("您: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text == "/quit":
            return
        if not text:
            buttons = show(bridge.fetch()) or buttons
            continue
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = show(bridge.send(text))


if __name__ == "__main__":
    main()
