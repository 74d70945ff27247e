"""Command line: ``vigil`` / ``python -m app``.

Sub-commands live in ``app/cli/<name>.py``; each module defines ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``main(args) -> int``. With no sub-command the station window opens.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

from app import __version__, cli
from app.errors import UserError

log = logging.getLogger("vigil")


def _command_modules() -> dict[str, ModuleType]:
    mods: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"app.cli.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "main"):
            mods[mod.NAME] = mod
    return mods


def build_parser(mods: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil", description="Vigil CCTV monitoring station")
    parser.add_argument("--version", action="version", version=f"vigil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(mods):
        p = sub.add_parser(name, help=mods[name].HELP, description=mods[name].HELP)
        mods[name].add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    mods = _command_modules()
    # `vigil` and `vigil --source URL ...` open the window.
    if "gui" in mods and (not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"))):
        argv.insert(0, "gui")
    parser = build_parser(mods)
    args = parser.parse_args(argv)
    from app.logs import enable_crash_traces, setup_logging
    from app.security.file_modes import restrict_umask

    restrict_umask()  # before the first file: store, keys, crops, exports, logs, settings are owner-only
    setup_logging(console=bool(getattr(args, "verbose", False)))
    enable_crash_traces()
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(mods[args.command].main(args) or 0)
    except UserError as exc:
        print(f"vigil {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vigil {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: log the traceback, show one line
        log.exception("unhandled error in %s", args.command)
        from app.logs import redact

        print(
            f"vigil {args.command}: internal error: {redact(str(exc)) or type(exc).__name__} "
            "(details in the log file)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    import multiprocessing

    # A frozen build (installer/vigil.spec) re-runs this file in every spawned analysis or face-detection
    # child: freeze_support hands those runs to multiprocessing instead of starting another station.
    multiprocessing.freeze_support()
    sys.exit(main())
