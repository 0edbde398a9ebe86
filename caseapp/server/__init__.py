"""The sync server (SYNC.md §5, the ``server`` extra): routes ciphertext between the devices
of one organisation and can read none of it. It imports the sync protocol and its own code,
never a client vault."""
