"""SQLCipher persistence: connection, migrations, uniform records, search, audit chain, outbox."""
