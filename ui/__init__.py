"""The Qt desktop layer (PySide6). It calls caseapp.services only; no SQL, no crypto here."""
