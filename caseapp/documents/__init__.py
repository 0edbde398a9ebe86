"""Documents and data exchange that leave or enter the machine: HTCDS 2.0 files (CSV, XLSX)
and CTDC-style anonymised statistics (ARCHITECTURE §7)."""
