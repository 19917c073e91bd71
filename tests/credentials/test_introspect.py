"""node/credentials/introspect.py: each type's CSV columns, header template and type id."""

from __future__ import annotations

from node.credentials.introspect import credential_types

FQ = "formal-qualification"


def test_each_type_offers_its_csv_columns() -> None:
    infos = {info.name: info for info in credential_types()}
    micro = {c.name: c for c in infos["micro-credential"].csv_columns}
    assert micro["competencies"].kind == "array"
    assert micro["hours"].kind == "integer" and not micro["hours"].required
    assert micro["learner.identity.number"].required
    assert infos["recognition-of-prior-learning"].csv_header[:5] == [
        "type",
        "version",
        "clientRef",
        "validFrom",
        "validUntil",
    ]
    assert infos[FQ].type_id.startswith("0x") and len(infos[FQ].type_id) == 66
