"""Compact stored forms (caseapp.store.packing, schema 8): packed clocks and change-log ids
read back as exactly what was packed, and the packed clocks of common records are small."""

from __future__ import annotations

import json
import random

from caseapp.store import packing

DEVICE = "01900000-0000-7000-8000-00000000d001"
OTHER = "01900000-0000-7000-8000-00000000d002"
T1 = f"1764614400000.00000.{DEVICE}"
T2 = f"1764614400000.00001.{DEVICE}"
T3 = f"1764614500000.00000.{OTHER}"


def test_a_record_written_once_stores_no_clock() -> None:
    body = {"prs_FirstName": "Zainab", "hfz_NameUrdu": "زینب"}
    clocks = {"prs_FirstName": T1, "hfz_NameUrdu": T1}
    assert packing.pack_clocks(clocks, body, T1) == "{}"
    assert packing.unpack_clocks("{}", body, T1) == clocks


def test_an_edited_field_is_the_only_one_stored() -> None:
    body = {"a": 1, "b": 2, "c": 3, "d": 4}
    clocks = {"a": T1, "b": T1, "c": T1, "d": T2}  # d edited later: the record's clock is T2
    packed = packing.pack_clocks(clocks, body, T2)
    assert json.loads(packed) == {"*": T1, T2: ["d"]}
    assert packing.unpack_clocks(packed, body, T2) == clocks


def test_set_elements_removed_fields_and_unclocked_fields_survive() -> None:
    # A set field has clocks per element ("name/key" with the position in its change), a
    # removed element keeps its clock without a value, and the field itself has no clock.
    body = {"hfz_Aliases": ["Rubi", "Bina"], "prs_FirstName": "Rubina"}
    clocks = {"prs_FirstName": T1, "hfz_Aliases/rubi": f"{T1} 0",
              "hfz_Aliases/bina": f"{T1} 1", "hfz_Aliases/bhola": T3}
    packed = packing.pack_clocks(clocks, body, T3)
    assert json.loads(packed) == {"*": T1, "= 0": ["hfz_Aliases/rubi"],
                                  "= 1": ["hfz_Aliases/bina"], T3: ["hfz_Aliases/bhola"],
                                  "-": ["hfz_Aliases"]}
    assert packing.unpack_clocks(packed, body, T3) == clocks


def test_random_mappings_read_back_unchanged_and_pack_the_same_in_any_order() -> None:
    rng = random.Random(8)
    stamps = [T1, T2, T3, f"{T1} 2", f"{T3} 0"]
    for _ in range(500):
        names = [f"f{i}" for i in range(rng.randint(0, 12))]
        body = {n: i for i, n in enumerate(names) if rng.random() < 0.8}
        clocks = {n: rng.choice(stamps) for n in names if rng.random() < 0.9}
        hlc = max([*clocks.values(), T1]).split(" ")[0]
        packed = packing.pack_clocks(clocks, body, hlc)
        assert packing.unpack_clocks(packed, body, hlc) == clocks
        shuffled = dict(rng.sample(sorted(clocks.items()), len(clocks)))
        assert packing.pack_clocks(shuffled, dict(reversed(body.items())), hlc) == packed


def test_ids_and_clocks_of_the_change_log() -> None:
    packed = packing.pack_id(DEVICE)
    assert packed == bytes.fromhex(DEVICE.replace("-", "")) and len(packed) == 16
    assert packing.unpack_id(packed) == DEVICE
    # Anything not a canonical UUID stays as it was written.
    for odd in ("c3", DEVICE.upper(), "", None):
        assert packing.pack_id(odd) == odd and packing.unpack_id(packing.pack_id(odd)) == odd
    assert packing.pack_hlc(T1, DEVICE) == "1764614400000.00000"
    assert packing.unpack_hlc("1764614400000.00000", DEVICE) == T1
    # A clock from another device than the row's is kept whole.
    assert packing.pack_hlc(T3, DEVICE) == T3 and packing.unpack_hlc(T3, DEVICE) == T3


def test_change_json_is_deflated_and_reads_back() -> None:
    fields = {"prs_FirstName": "Rubina", "prs_SecondName": "Kausar", "prs_Gender": "Feminine",
              "hfz_Stage": "intake", "cas_Status": "Open", "hfz_Tracks": ["TIP"],
              "prs_Citizenship": "PK", "prs_PrimaryLanguage": "urd"}
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    packed = packing.pack_json(fields)
    assert isinstance(packed, bytes) and packed[0] == 1
    assert len(packed) < len(text.encode()) / 2  # the field names come from the dictionary
    assert packing.unpack_json(packed) == fields
    # Short JSON gains nothing and stays text; text written before schema 8 still reads.
    assert packing.pack_json({}) == "{}" and packing.unpack_json("{}") == {}
    assert packing.unpack_json(text) == fields


def _screening_body() -> dict[str, object]:
    # The shape of a submitted screening: an answer per indicator and the computed result.
    answers = {f"indicator_{i:02d}": {"answer": ("yes", "no", "unknown")[i % 3], "note": None}
               for i in range(60)}
    return {"instrument_id": "ilo-ec-adult-labour", "instrument_version": "1.0.0",
            "answers": answers, "result": {"dimensions": {f"d{i}": "positive" for i in range(8)}}}


def test_a_screening_is_stored_deflated_and_a_case_as_json_text() -> None:
    import sqlcipher3

    from caseapp.store import migrations
    from caseapp.store.database import Connection
    from caseapp.store.hlc import HybridClock
    from caseapp.store.records import RecordStore

    device = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    conn = sqlcipher3.connect(":memory:", isolation_level=None, factory=Connection)
    migrations.migrate(conn)
    store = RecordStore(conn, HybridClock(device), device)
    body = _screening_body()
    screening = store.create("screening", body).record.id
    case = store.create("case", {"hfz_Stage": "intake"}).record.id
    stored = dict(conn.execute("SELECT id, body FROM records"))
    assert isinstance(stored[screening], bytes)
    assert len(stored[screening]) < len(json.dumps(body)) / 3
    assert json.loads(stored[case]) == {"hfz_Stage": "intake"}  # lists read it in SQL
    assert store.get(screening).body == body  # type: ignore[union-attr]


def test_the_upgrade_deflates_the_screenings_a_vault_holds() -> None:
    import sqlcipher3

    from caseapp.store import migrations
    from caseapp.store.database import Connection

    conn = sqlcipher3.connect(":memory:", isolation_level=None, factory=Connection)
    migrations.migrate(conn, 8)
    body = json.dumps(_screening_body(), separators=(",", ":"))
    conn.execute("INSERT INTO records (id, type, body, clocks, hlc, updated_at) "
                 "VALUES ('s', 'screening', ?, '{}', '1796172914964.00000.d', 0)", (body,))
    conn.execute("INSERT INTO records (id, type, body, clocks, hlc, updated_at) "
                 "VALUES ('n', 'note', '{\"cco_CaseComment\":\"text\"}', '{}', "
                 "'1796172914964.00001.d', 0)")
    migrations.migrate(conn)
    stored = dict(conn.execute("SELECT id, body FROM records"))
    assert isinstance(stored["s"], bytes) and packing.unpack_json(stored["s"]) == \
        json.loads(body)
    assert stored["n"] == '{"cco_CaseComment":"text"}'
