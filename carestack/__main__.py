"""``python -m carestack``: run the reference care stack on uvicorn.

Usage: ``python -m carestack --host 127.0.0.1 --port PORT --platform-url URL --speed S
[--config FILE] [--team FILE] [--db PATH] [--no-agents] [--x-secret S]
[--platform-secret S]``.
Ready when ``GET /health`` answers 200. A bad config prints one ``error:`` line, exits 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m carestack",
                                description="The reference social-care stack (a drill target).")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--platform-url", required=True,
                   help="where actions go: POST {URL}/platform/actions")
    p.add_argument("--speed", type=float, default=1.0,
                   help="scenario seconds per wall second for the agents' clock (default 1)")
    p.add_argument("--config", type=Path, default=None, help="YAML config over the defaults")
    p.add_argument("--team", type=Path, default=None,
                   help="take the agent tiers (roster, shifts, handle times) from this team "
                        "file, team: {tiers: [...]} (a drill writes one from its scenario)")
    p.add_argument("--db", type=Path, default=None,
                   help="SQLite file (default: a new file in a temporary directory)")
    p.add_argument("--no-agents", action="store_true",
                   help="start with simulated agents off (humans work the console)")
    p.add_argument("--x-secret", default=None,
                   help="X webhook secret (default: config x_secret or $CARESTACK_X_SECRET)")
    p.add_argument("--platform-secret", default=None,
                   help="sign actions with this HMAC secret (or $CARESTACK_PLATFORM_SECRET)")
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse flags, load the config, serve until interrupted; returns the exit code."""
    args = _parser().parse_args(argv)
    from .config import ConfigError, load_config, load_team

    try:
        cfg = load_config(args.config)
        if args.team is not None:
            cfg = cfg.with_overrides(tiers=load_team(args.team))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print(f"error: --speed must be > 0, got {args.speed}", file=sys.stderr)
        return 2
    if not args.platform_url.startswith(("http://", "https://")):
        print(f"error: --platform-url must be http(s)://host:port, got {args.platform_url!r}",
              file=sys.stderr)
        return 2
    cfg = cfg.with_overrides(
        agents_enabled=False if args.no_agents else None,
        x_secret=args.x_secret or os.environ.get("CARESTACK_X_SECRET") or None,
        platform_secret=args.platform_secret or os.environ.get("CARESTACK_PLATFORM_SECRET")
        or None,
    )
    db = args.db or Path(tempfile.mkdtemp(prefix="carestack-")) / "carestack.db"
    db.parent.mkdir(parents=True, exist_ok=True)

    import uvicorn

    from .app import create_app

    # The stack's own warnings (a restarted outbox sender, with its traceback) go to stderr,
    # which is the stack's log when a drill starts it.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(cfg, args.platform_url, args.speed, str(db))
    print(f"carestack on http://{args.host}:{args.port} db={db} speed={args.speed} "
          f"platform={args.platform_url}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=False, proxy_headers=False, loop="auto", http="auto",
                timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
