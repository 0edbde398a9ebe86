"""The first schema: organisation, devices, enrolment codes, team keys, grants, changes and
their audiences, refused changes, nonces, audit heads, the sequence counter."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "org", sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sign_pub", sa.String(64), nullable=False),
        sa.Column("escrow_pub", sa.String(64), nullable=False),
        sa.Column("escrow_sig", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False))
    op.create_table(
        "devices", sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("sign_pub", sa.String(64), nullable=False),
        sa.Column("kx_pub", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("certificate", sa.Text),
        sa.Column("role_grant", sa.Text),
        sa.Column("requested_team", sa.String(64)),
        sa.Column("requested_role", sa.String(32)),
        sa.Column("enrolled_at", sa.BigInteger, nullable=False),
        sa.Column("max_device_seq", sa.BigInteger, nullable=False))
    op.create_table(
        "enrolment_codes", sa.Column("code_id", sa.String(64), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
        sa.Column("created_by", sa.String(64), nullable=False))
    op.create_table(
        "team_keys", sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False))
    op.create_table(
        "grants", sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
        sa.Column("grant", sa.Text, nullable=False))
    op.create_table(
        "changes", sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, unique=True),
        sa.Column("change_id", sa.String(64), nullable=False, unique=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("device_seq", sa.BigInteger, nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("device_id", "device_seq"))
    op.create_table(
        "change_audience",
        sa.Column("change_id", sa.String(64),
                  sa.ForeignKey("changes.change_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger))
    op.create_index("change_audience_by_team", "change_audience", ["team_id", "seq"])
    op.create_table(
        "rejected_changes", sa.Column("change_id", sa.String(64), primary_key=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(80), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False))
    op.create_table(
        "nonces", sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("at", sa.BigInteger, nullable=False))
    op.create_index("nonces_by_time", "nonces", ["at"])
    op.create_table(
        "audit_heads", sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False))
    op.create_table(
        "counters", sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False))
    op.bulk_insert(sa.table("counters", sa.column("name", sa.String),
                            sa.column("value", sa.BigInteger)), [{"name": "seq", "value": 0}])
