"""Hifazat core: encrypted case files for protecting victims of trafficking and smuggled migrants.

This package holds no Qt widgets. Layers (one-way): services -> domain / store / crypto.
"""

__version__ = "0.1.0"
