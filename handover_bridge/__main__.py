"""`python -m handover_bridge [serve] [--host H] [--port P] [--workers N]` runs the bridge;
`python -m handover_bridge migrate` applies the migrations;
`python -m handover_bridge create-agent USERNAME [--skills a,b] [--max-concurrent N] [--roles agent,designer,lead]`
adds an agent
(password from JIELI_NEW_AGENT_PASSWORD or a prompt);
`python -m handover_bridge export-training [--dry-run]` writes the review candidates designers
accepted into data/nlu/learned_from_agents.yml (JIELI_TRAINING_DATA_DIR), ready for `make train`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging.config
import os
import sys
from dataclasses import replace
from functools import partial

from .config import ConfigError, Settings
from .jsonlog import logging_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m handover_bridge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the bridge (the default)")
    for p in (parser, serve):
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        p.add_argument("--workers", type=int, help="worker processes (default 1 = one process)")
    sub.add_parser("migrate", help="apply the database migrations and exit")
    create = sub.add_parser("create-agent", help="create an agent account")
    create.add_argument("username")
    create.add_argument("--display-name")
    create.add_argument("--skills", default="*", help="comma list of skills, * = all")
    create.add_argument("--max-concurrent", type=int, default=3)
    create.add_argument(
        "--roles", default="agent", help="comma list among agent, designer (review queue), lead (dashboard)"
    )
    seed = sub.add_parser(
        "seed-demo-week",
        help="demo mode only: seed a week of demo conversations "
        "(dashboard, review queue); skipped when today's demo week is there",
    )
    seed.add_argument("--force", action="store_true", help="replace the demo week even if seeded today")
    export = sub.add_parser(
        "export-training",
        help="write the accepted review candidates as Rasa "
        "training data (data/nlu/learned_from_agents.yml), then `make train`",
    )
    export.add_argument("--dry-run", action="store_true", help="print the file instead of writing it")
    args = parser.parse_args(argv)

    try:
        # exporting serves nothing: it needs the store, not the bridge's secrets
        settings = Settings.from_env(check_secrets=args.command != "export-training")
    except ConfigError as error:
        print(f"handover_bridge: configuration error: {error}", file=sys.stderr)
        return 2
    logging.config.dictConfig(logging_config(settings.log_level))

    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "create-agent":
        return asyncio.run(_create_agent(settings, args))
    if args.command == "export-training":
        return asyncio.run(_export_training(settings, args.dry_run))
    if args.command == "seed-demo-week":
        return asyncio.run(_seed_demo_week(settings, args.force))
    overrides = {
        k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers)) if v is not None
    }
    settings = replace(settings, **overrides)
    try:
        settings.check_host()  # --host too: demo mode stays on loopback unless told otherwise
    except ConfigError as error:
        print(f"handover_bridge: configuration error: {error}", file=sys.stderr)
        return 2
    return _serve(settings)


def _serve(settings: Settings) -> int:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from .app import create_app, create_worker_app

    options = dict(host=settings.host, port=settings.port, access_log=settings.access_log, motd=False, debug=False)
    if settings.workers <= 1:
        app = create_app(settings)
        app.run(**options, single_process=True)
        return 0
    loader = AppLoader(factory=partial(create_worker_app, settings))
    app = loader.load()
    app.prepare(**options, workers=settings.workers)
    Sanic.serve(primary=app, app_loader=loader)
    return 0


async def _export_training(settings: Settings, dry_run: bool) -> int:
    from types import SimpleNamespace

    from .db import Database
    from .domain.errors import ServiceError
    from .migrate import migrate
    from .services.learning.review import ReviewService

    db = Database(settings)
    try:
        await migrate(db)
        result = await ReviewService(SimpleNamespace(settings=settings, db=db)).export(dry_run=dry_run)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    if dry_run:
        print(result["text"] or "# (nothing to export)", end="")
        return 0
    intents = ", ".join(f"{name} {count}" for name, count in sorted(result["intents"].items())) or "none"
    print(
        f"{result['path']}: {result['entries']} entries, {result['examples']} examples "
        f"({intents}), {result['faqs']} FAQ answers; {result['marked_exported']} candidates newly exported"
    )
    for skipped in result["skipped"]:
        what = repr(skipped["example"]) if skipped["example"] else "the whole candidate"
        where = f" (already in {skipped['where']})" if skipped.get("where") else ""
        print(f"  skipped {what} of candidate {skipped['candidate']}: {skipped['reason']}{where}")
    print("next: make train" if result["entries"] else "nothing learned yet: accept candidates on the review page")
    return 0


async def _migrate(settings: Settings) -> int:
    from .db import Database
    from .migrate import migrate

    db = Database(settings)
    try:
        await migrate(db)
    finally:
        await db.dispose()
    print("migrations applied")
    return 0


async def _create_agent(settings: Settings, args) -> int:
    from .domain.errors import ServiceError
    from .services.wiring.container import Bridge

    password = os.environ.get("JIELI_NEW_AGENT_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    bridge = Bridge(replace(settings, demo_mode=False) if not settings.demo_mode else settings)
    await bridge.start(background=False)
    try:
        skills = [s.strip() for s in args.skills.split(",") if s.strip()]
        agent = await bridge.agents.create(
            args.username,
            password,
            display_name=args.display_name,
            skills=skills,
            max_concurrent=args.max_concurrent,
            roles=[r.strip() for r in args.roles.split(",") if r.strip()],
        )
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        await bridge.stop()
    print(f"agent {agent.username} created (id {agent.id})")
    return 0


async def _seed_demo_week(settings: Settings, force: bool) -> int:
    from .domain.errors import ServiceError
    from .services.demo.demo_week import DemoWeek
    from .services.wiring.container import Bridge

    if not settings.demo_mode:
        print(
            "refused: demo data is only seeded in demo mode (JIELI_DEMO_MODE=true), never in production",
            file=sys.stderr,
        )
        return 2
    bridge = Bridge(settings)
    await bridge.start(background=False)
    try:
        result = await DemoWeek(bridge.ctx).seed(force=force)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        await bridge.stop()
    print(result.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
