"""Reference data shipped with the package (instruments, picklists, word lists), and the
loader that reads it into the domain's value types."""
