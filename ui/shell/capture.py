"""Keep case windows out of screenshots and screen sharing where the platform allows it
(Windows 10 2004 and later: SetWindowDisplayAffinity with WDA_EXCLUDEFROMCAPTURE)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWidget

WDA_EXCLUDEFROMCAPTURE = 0x11


def exclude_from_capture(window: QWidget) -> bool:
    """True when the platform took the request; elsewhere nothing happens."""
    if sys.platform != "win32":
        return False
    import ctypes  # only on Windows: windll exists there alone

    user32 = ctypes.windll.user32
    return bool(user32.SetWindowDisplayAffinity(int(window.winId()), WDA_EXCLUDEFROMCAPTURE))
