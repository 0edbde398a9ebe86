"""``caseapp server init|migrate`` and ``caseapp serve``: the sync server (the ``server``
extra). The server's modules load only when one of these runs, so the desktop needs none of
its dependencies."""

from __future__ import annotations

import argparse
from pathlib import Path

from caseapp.cli.common import print_json
from caseapp.errors import ValidationError
from caseapp.i18n import N_, _


def _init(args: argparse.Namespace) -> int:
    from caseapp.server import setup
    certificate = None
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValidationError(N_("--tls-cert and --tls-key go together."))
    try:
        if args.tls_cert is not None:
            certificate = (args.tls_key.read_bytes(), args.tls_cert.read_bytes())
        done = setup.init(args.data, args.hostname or ["localhost", "127.0.0.1"], certificate)
    except FileExistsError as exc:
        raise ValidationError(N_("The server data folder is set up already: %(path)s"),
                              path=str(args.data)) from exc
    except (OSError, ValueError, TypeError) as exc:
        raise ValidationError(N_("--tls-cert, --tls-key: not a readable PEM certificate and "
                                 "unencrypted private key.")) from exc
    if args.json:
        print_json({"pin": done.pin, "setup_code": done.setup_code})
        return 0
    print(_("Server set up in %(path)s.", path=str(args.data)))
    print(_("TLS pin (SHA-256 of the public key; give it to the first administrator):"))
    print(done.pin)
    print(_("One-time setup code (for 'caseapp org create'; it works once):"))
    print(done.setup_code)
    return 0


def _database(args: argparse.Namespace) -> str:
    from caseapp.server import db
    if not (args.data / "setup.json").exists():
        raise ValidationError(N_("--data: %(path)s is not a server data folder; run 'caseapp "
                                 "server init' first."), path=str(args.data))
    return str(args.database or db.default_url(args.data))


def _migrate(args: argparse.Namespace) -> int:
    from caseapp.server import db
    db.migrate(_database(args))
    print(_("The server database is up to date."))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from caseapp.server import db, runner
    url = _database(args)
    if url.startswith("sqlite"):
        db.migrate(url)  # the embedded database is the server's own to keep current
    runner.serve(args.data, url, args.host, args.port, args.workers)
    return 0


DATABASE_HELP = N_("postgresql://… (default: SQLite in --data)")
DATA_HELP = N_("the server's data folder")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("server", help=N_("set up the sync server"))
    ssub = parser.add_subparsers(dest="server_command", required=True)
    init = ssub.add_parser("init", help=N_("create the TLS key and certificate and a setup "
                                           "code"))
    init.add_argument("--data", required=True, type=Path, help=DATA_HELP)
    init.add_argument("--hostname", action="append",
                      help=N_("a name or address the certificate is for (repeatable; "
                              "default: localhost and 127.0.0.1)"))
    init.add_argument("--tls-cert", type=Path, help=N_("a real certificate (PEM) instead of "
                                                       "a self-signed one; with --tls-key"))
    init.add_argument("--tls-key", type=Path, help=N_("its private key (PEM, unencrypted)"))
    init.add_argument("--json", action="store_true",
                      help=N_("print the pin and the setup code as JSON"))
    init.set_defaults(handler=_init)
    migrate = ssub.add_parser("migrate", help=N_("bring the server database schema up to "
                                                 "date"))
    migrate.add_argument("--data", required=True, type=Path, help=DATA_HELP)
    migrate.add_argument("--database", help=DATABASE_HELP)
    migrate.set_defaults(handler=_migrate)

    serve = sub.add_parser("serve", help=N_("run the sync server over HTTPS"))
    serve.add_argument("--data", required=True, type=Path,
                       help=N_("the server's data folder, as 'server init' made it"))
    serve.add_argument("--host", default="127.0.0.1",
                       help=N_("the address to listen on (default %(default)s)"))
    serve.add_argument("--port", type=int, default=8443,
                       help=N_("the port to listen on (default %(default)s)"))
    serve.add_argument("--database", help=DATABASE_HELP)
    serve.add_argument("--workers", type=int, default=1,
                       help=N_("server processes (default %(default)s)"))
    serve.set_defaults(handler=_serve)
