"""Record the golden handover contexts: the REAL `build_handover` over the tracker fixtures of
tests/actions/golden_cases.py, in the action tests' world (the clock frozen at FROZEN_NOW, the demo
shop seeded in a fresh SQLite file), written to tests/fixtures/handover/<case>.json; plus the
bridge's own context for bot_unavailable (handover_claims.bridge_context).

    .venv-rasa/bin/python scripts/record_golden_contexts.py [--check]

`--check` writes nothing and exits 1 when a file differs (tests/actions/test_golden_contexts.py
checks the same). Re-record after changing what the action sends, and look at the diff.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "actions")]


def recorded_files() -> dict[str, str]:
    """{file name: text} of every golden context, built now."""
    import golden_cases
    from actions import timeutil
    from actions.handover_context import build_handover
    from actions.settings import get_settings
    from actions.shop.factory import reset_adapters
    from actions.shop.seed import seed
    from jieli_testkit import FROZEN_NOW, JIELI_ENV, TEST_ACTION_TOKEN

    with tempfile.TemporaryDirectory(prefix="jieli-golden-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'shop.db'}"
        seed(url, reset=True, now=FROZEN_NOW)
        for name in JIELI_ENV:
            os.environ.pop(name, None)
        os.environ.update(
            JIELI_SHOP_ADAPTER="sql", JIELI_SHOP_DB_URL=url, JIELI_BRIDGE_URL="", JIELI_ACTION_TOKEN=TEST_ACTION_TOKEN
        )
        get_settings.cache_clear()
        reset_adapters()
        timeutil.now_utc = lambda: FROZEN_NOW
        files = {
            f"{name}.json": golden_cases.as_file(name, build_handover(make()), "action_handover")
            for name, make in golden_cases.CASES.items()
        }
        reset_adapters()
    files["bot_unavailable.json"] = golden_cases.as_file(
        "bot_unavailable", golden_cases.bot_unavailable_body(), "bridge"
    )
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when a file differs")
    args = parser.parse_args()
    from golden_cases import GOLDEN_DIR

    files = recorded_files()
    stale = sorted(
        name
        for name, text in files.items()
        if not (GOLDEN_DIR / name).exists() or (GOLDEN_DIR / name).read_text(encoding="utf-8") != text
    )
    extra = sorted(p.name for p in GOLDEN_DIR.glob("*.json") if p.name not in files) if GOLDEN_DIR.exists() else []
    if args.check:
        for name in stale + extra:
            print(f"out of date: {GOLDEN_DIR / name}")
        return 1 if stale or extra else 0
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (GOLDEN_DIR / name).write_text(files[name], encoding="utf-8")
    for name in extra:
        (GOLDEN_DIR / name).unlink()
    print(
        f"{len(files)} golden contexts in {GOLDEN_DIR.relative_to(ROOT)} ({len(stale)} written, {len(extra)} removed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
