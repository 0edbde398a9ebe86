"""Documents and data exchange formats, pure: values in, bytes out and back (ARCHITECTURE §7).
HTCDS 2.0 files (``tables``: CSV/XLSX bytes ⇄ tables; ``htcds_rows``: rows ⇄ case documents)
and CTDC-style anonymised statistics. Reading the vault, permissions, audit and files are
the services' part (``caseapp.services.exchange``, ``caseapp.services.statistics``)."""
