"""node/credentials/csvfile.py: files it cannot read are refused with a sentence (what the rows mean is judged with
the service: tests/services/test_issuance.py)."""

from __future__ import annotations

import pytest

from node.credentials.csvfile import parse_csv
from node.credentials.items import MAX_BULK, IssueItem
from node.errors import PayloadTooLargeError, ValidationFailedError


def csv_items(text: str) -> list[IssueItem]:
    return parse_csv(text.encode("utf-8"))


@pytest.mark.parametrize(
    ("text", "error", "needle"),
    [
        ("", ValidationFailedError, "empty"),
        ("type,learner.name\n", ValidationFailedError, "no rows"),
        ("learner.name\nA\n", ValidationFailedError, "no 'type' column"),
        ("type,a..b\nx,y\n", ValidationFailedError, "not a dotted field path"),
        ('type,name\n"unclosed,x\n', ValidationFailedError, "malformed"),
        ("type\n" + "x\n" * (MAX_BULK + 1), PayloadTooLargeError, "more than 10,000 rows"),
    ],
)
def test_parse_csv_refuses_files_it_cannot_read(text: str, error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle):
        csv_items(text)


def test_parse_csv_refuses_files_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import node.credentials.csvfile as csvfile

    monkeypatch.setattr(csvfile, "MAX_CSV_BYTES", 10)
    with pytest.raises(PayloadTooLargeError, match="larger than"):
        parse_csv(b"type,learner.name\n")
