"""Key derivation, keyslots and signatures, built only on the `cryptography` package."""
