"""What the server stores: routing metadata and ciphertext only. No name, testimony or
identity number ever reaches these tables in readable form (SECURITY.md item 9)."""

from __future__ import annotations

from sqlalchemy import (
                        BigInteger,
                        Boolean,
                        Column,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
)

metadata = MetaData()

# The organisation: one row, written once with the server's setup code.
org = Table(
    "org", metadata,
    Column("id", Integer, primary_key=True),
    Column("sign_pub", String(64), nullable=False),
    Column("escrow_pub", String(64), nullable=False),
    Column("escrow_sig", String(100), nullable=False),  # by the org key
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("sign_pub", String(64), nullable=False),
    Column("kx_pub", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("user_name", String(200), nullable=False),
    # pending | approved | rejected | revoked
    Column("status", String(16), nullable=False),
    Column("certificate", Text),
    Column("role_grant", Text),  # the vault's signed role (caseapp.crypto.role_grant), opaque here
    Column("requested_team", String(64)),
    Column("requested_role", String(32)),
    Column("enrolled_at", BigInteger, nullable=False),
    Column("max_device_seq", BigInteger, nullable=False, default=0),
)

enrolment_codes = Table(
    "enrolment_codes", metadata,
    Column("code_id", String(64), primary_key=True),
    Column("key_hash", String(64), nullable=False),  # a hash of the code, never the code
    Column("team_id", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
    Column("created_by", String(64), nullable=False),
)

team_keys = Table(
    "team_keys", metadata,
    Column("team_id", String(64), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("entry", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

grants = Table(
    "grants", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("team_id", String(64), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("grant", Text, nullable=False),
)

# A change gets its server sequence when it becomes visible: at once from an approved device,
# at approval from a pending one (so no cursor has passed it by then).
changes = Table(
    "changes", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("seq", BigInteger, unique=True),
    Column("change_id", String(64), nullable=False, unique=True),
    Column("device_id", String(64), nullable=False),
    Column("device_seq", BigInteger, nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("held", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("device_id", "device_seq"),
)

change_audience = Table(
    "change_audience", metadata,
    Column("change_id", String(64), ForeignKey("changes.change_id", ondelete="CASCADE"),
           primary_key=True),
    Column("team_id", String(64), primary_key=True),
    Column("seq", BigInteger),
)
Index("change_audience_by_team", change_audience.c.team_id, change_audience.c.seq)

# Changes refused for good (their device_seq is used up): a retried push gets the same answer.
rejected_changes = Table(
    "rejected_changes", metadata,
    Column("change_id", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("reason", String(80), nullable=False),
    Column("at", BigInteger, nullable=False),
)

# Nonces of signed requests seen in the last minutes: a replayed request is refused.
nonces = Table(
    "nonces", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("at", BigInteger, nullable=False),
)
Index("nonces_by_time", nonces.c.at)

audit_heads = Table(
    "audit_heads", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
)

# One row, "seq": the last server sequence handed out. Updating it locks the row until the
# push commits, so sequences become visible in the order they are handed out.
counters = Table(
    "counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
