"""Pure domain rules and value types: no I/O, no Qt (ARCHITECTURE §2)."""
