"""The ``caseapp`` command line: every command module here exposes ``register(subparsers)``."""
