"""Type as a WeChat customer of 微信客服 against a running demo bridge (make demo-wechat).

It runs the local 企业微信 API simulator (tests/wechat/simulator.py) on 127.0.0.1:8091 with the
bridge's demo values, and reads what you type: each line is a customer message, which makes the
simulator POST an encrypted, signed callback to the bridge, exactly as 企业微信 does; the bridge's
answers (kf/send_msg) are printed as they arrive. A menu (the bot's buttons, the rating) is
printed with numbers: type /1, /2 … to tap an item. /new starts another customer, /quit ends.

Start the bridge first, in demo mode, with the channel pointed at the simulator:

    JIELI_WECHAT_CORP_ID=wwjielidemo JIELI_WECHAT_API_BASE=http://127.0.0.1:8091 make demo

then, in another terminal: make demo-wechat. Agents answer in the console (http://127.0.0.1:8080/console/).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from handover_bridge.config import DEMO_WECHAT_AES_KEY, DEMO_WECHAT_SECRET, DEMO_WECHAT_TOKEN  # noqa: E402
from wechat.simulator import Simulator  # noqa: E402


async def printer(sim: Simulator, state: dict) -> None:
    shown: dict[str, int] = {}
    while True:
        user = state["user"]
        bodies = sim.sent[user]
        for body in bodies[shown.get(user, 0) :]:
            if body["msgtype"] == "msgmenu":
                menu = body["msgmenu"]
                state["menu"] = [(i["click"]["id"], i["click"]["content"]) for i in menu["list"]]
                print(f"\n  客服 ▸ {menu.get('head_content', '')}")
                for n, (_id, content) in enumerate(state["menu"], 1):
                    print(f"         /{n} {content}")
            else:
                print(f"\n  客服 ▸ {body['text']['content']}")
        shown[user] = len(bodies)
        for code, _body in sim.refused[state["refused"] :]:
            print(f"\n  （微信拒绝了一条消息：errcode {code}）")
        state["refused"] = len(sim.refused)
        await asyncio.sleep(0.2)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bridge", default="http://127.0.0.1:8080", help="the running bridge")
    parser.add_argument("--port", type=int, default=8091, help="where the simulator listens")
    parser.add_argument("--corp-id", default="wwjielidemo", help="JIELI_WECHAT_CORP_ID of the bridge")
    args = parser.parse_args()
    sim = Simulator(args.corp_id, DEMO_WECHAT_SECRET, DEMO_WECHAT_TOKEN, DEMO_WECHAT_AES_KEY, port=args.port)
    sim.callback_url = f"{args.bridge.rstrip('/')}/channels/wechat/callback"
    await sim.start()
    state = {"user": "wmDEMO" + secrets.token_hex(4), "menu": [], "refused": 0}
    print(f"微信客服 simulator on {sim.url}; the bridge: {args.bridge}")
    print(f"You are WeChat customer {state['user']}. Type a message (/1 … taps a menu item, /new, /quit).")
    task = asyncio.create_task(printer(sim, state))
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            if text == "/quit":
                break
            if text == "/new":
                state["user"] = "wmDEMO" + secrets.token_hex(4)
                print(f"You are now customer {state['user']}.")
                continue
            if text.startswith("/") and text[1:].isdigit() and 0 < int(text[1:]) <= len(state["menu"]):
                menu_id, content = state["menu"][int(text[1:]) - 1]
                status = await sim.click(state["user"], menu_id, content)
            else:
                status = await sim.say(state["user"], text)
            if status != 200:
                print(
                    f"  （the bridge did not take the callback: {sim.callbacks[-1] if sim.callbacks else 'no answer'}）"
                )
    finally:
        task.cancel()
        await sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
