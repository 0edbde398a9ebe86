"""Pure rules and value types: no I/O beyond packaged reference data, no Qt."""
