"""Reference data shipped with the package (instruments, picklists, word lists)."""
