"""`credreg issue FILE`: send a JSON or CSV file of credentials to a node's API, optionally wait for the anchors,
and write the holders' bundles.

The whole file is read and checked first (the same rules as the node's, :func:`node.services.issuance.check_items`:
types, schemas, date forms, award dates not in the future): a bad item stops the command before anything is sent,
naming every bad row or item. The credentials then go out in chunks of at most 10,000 (``POST /v1/credentials/bulk``),
each accepted whole or refused whole by the node. What only the chain knows (the issuer's accreditation: its types,
NQF level, standing and signing key) the node checks as each chunk arrives; a refusal names the file's rows or items
(not the chunk's). Give each credential a ``clientRef`` to make running the same file again safe: the node returns
the first ids instead of issuing twice.

The API key comes from CREDREG_API_KEY (or --api-key) and is never printed.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from node.cli._app import app, err, friendly, out
from node.credentials.bundle import dumps_bundle
from node.credentials.csvfile import parse_csv
from node.credentials.items import MAX_BULK, IssueItem, SubmissionInvalidError
from node.credentials.submission import CredentialInput  # the input format the API reads too
from node.errors import ApiError, UnauthorizedError, ValidationFailedError
from node.services.issuance import check_items

FINAL = ("anchored", "failed")
DEFAULT_API_URL = "http://127.0.0.1:8000"
GET_RETRIES = 3


# --- reading the file -------------------------------------------------------------------------------------------


def _json_items(path: Path, data: bytes) -> list[IssueItem]:
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailedError(f"{path} is not valid JSON ({exc}); fix it and run the command again.") from None
    if isinstance(document, dict) and isinstance(document.get("credentials"), list):
        document = document["credentials"]
    if not isinstance(document, list):
        raise ValidationFailedError(
            f'{path} must hold a list of credentials, or an object {{"credentials": [...]}}; it holds neither.'
        )
    items: list[IssueItem] = []
    problems: list[str] = []
    for index, entry in enumerate(document):
        try:
            items.append(CredentialInput.model_validate(entry).to_item())
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                where = "".join(f"/{part}" for part in error["loc"])
                problems.append(f"item {index}{' ' + where if where else ''}: {error['msg']} (rule: {error['type']})")
    if problems:
        raise ValidationFailedError(
            f"{path}: {len(problems)} problem{'' if len(problems) == 1 else 's'} in the credentials' shape, so "
            f"nothing was sent: {'; '.join(problems)}."
        )
    return items


def read_items(path: Path) -> list[IssueItem]:
    """The credentials of a .json or .csv file, checked against their types; nothing is sent if any is bad."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise ValidationFailedError(f"{path}: give a .json or a .csv file of credentials.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailedError(f"cannot read {path} ({exc.strerror}): check the path.") from None
    items = parse_csv(data) if suffix == ".csv" else _json_items(path, data)
    if not items:
        raise ValidationFailedError(f"{path} holds no credentials.")
    problems = check_items(items)
    if problems:
        raise SubmissionInvalidError(problems, items)
    return items


def to_wire(item: IssueItem) -> dict[str, Any]:
    """The item as one element of ``POST /v1/credentials/bulk``."""
    wire: dict[str, Any] = {"type": item.type_name, "credentialSubject": dict(item.subject)}
    if item.version is not None:
        wire["version"] = item.version
    if item.valid_from is not None:
        wire["validFrom"] = item.valid_from.isoformat()
    if item.valid_until is not None:
        wire["validUntil"] = item.valid_until.isoformat()
    if item.client_ref is not None:
        wire["clientRef"] = item.client_ref
    return wire


def source_of(item: IssueItem, index: int) -> str:
    return f"row {item.row}" if item.row is not None else f"item {index}"


_CHUNK_ITEM = re.compile(r"(?<=[:;] )item ([0-9]+)(?=[ :])")


def name_sources(detail: str, items: Sequence[IssueItem], start: int) -> str:
    """The node numbers a chunk's credentials from 0: name each one as the file does (its CSV row, or its index)."""

    def source(match: re.Match[str]) -> str:
        index = start + int(match.group(1))
        return source_of(items[index], index) if index < len(items) else match.group(0)

    return _CHUNK_ITEM.sub(source, detail)


def chunks(count: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, count, size):
        yield start, min(start + size, count)


# --- talking to the API -----------------------------------------------------------------------------------------


class Api:
    """The node's credential API over HTTP; every failure becomes an ApiError (or UnauthorizedError) in one line."""

    def __init__(self, url: str, key: str, timeout_s: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": "credreg-cli"},
            timeout=httpx.Timeout(timeout_s, connect=10.0),
        )

    def close(self) -> None:
        self._client.close()

    def _unreachable(self, exc: httpx.HTTPError) -> ApiError:
        return ApiError(
            f"cannot reach the node's API at {self.url} ({type(exc).__name__}): is the node running (`credreg run`)? "
            "Check --api-url / CREDREG_API_URL."
        )

    @staticmethod
    def _refusal(response: httpx.Response, what: str) -> ApiError | UnauthorizedError:
        try:
            body = response.json()
            detail = str(body.get("detail")) if isinstance(body, dict) else response.text
        except ValueError:
            detail = response.text[:300] or response.reason_phrase
        message = f"the node refused {what} ({response.status_code}): {detail}"
        if response.status_code == 401:
            return UnauthorizedError(message + " Set CREDREG_API_KEY to a valid issuer key.")
        return ApiError(message)

    def post_bulk(self, credentials: Sequence[dict[str, Any]], what: str) -> list[str]:
        try:
            response = self._client.post("/v1/credentials/bulk", json={"credentials": list(credentials)})
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code != 202:
            raise self._refusal(response, what)
        ids: list[str] = response.json()["ids"]
        return ids

    def get_bytes(self, path: str, what: str) -> bytes:
        """The body of GET ``path`` (a PDF, a file), or the node's refusal in one line."""
        try:
            response = self._client.get(path)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        if response.status_code != 200:
            raise self._refusal(response, what)
        return response.content

    def get(self, credential_id: str) -> dict[str, Any]:
        last: httpx.HTTPError | None = None
        for attempt in range(GET_RETRIES):
            try:
                response = self._client.get(f"/v1/credentials/{credential_id}")
            except httpx.HTTPError as exc:  # a blip while polling: try again before giving up
                last = exc
                time.sleep(0.5 * (attempt + 1))
                continue
            if response.status_code != 200:
                raise self._refusal(response, f"the status of credential {credential_id}")
            body: dict[str, Any] = response.json()
            return body
        assert last is not None
        raise self._unreachable(last)


# --- the command ------------------------------------------------------------------------------------------------


@dataclass
class Run:
    items: list[IssueItem]
    ids: list[str | None] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def distinct_ids(self) -> list[str]:
        return list(dict.fromkeys(i for i in self.ids if i is not None))

    def status(self, credential_id: str) -> str:
        return str(self.results.get(credential_id, {}).get("status", "pending"))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,  # no bars in logs and pipes: only the summary and errors
    )


def _send(api: Api, run: Run, chunk_size: int) -> None:
    wires = [to_wire(item) for item in run.items]
    run.ids = [None] * len(wires)
    with _progress() as progress:
        task = progress.add_task("sending", total=len(wires))
        for start, end in chunks(len(wires), chunk_size):
            what = f"credentials {start + 1} to {end} of {len(wires)}"
            try:
                ids = api.post_bulk(wires[start:end], what)
            except (ApiError, UnauthorizedError) as exc:
                exc.detail = name_sources(exc.detail, run.items, start)
                if start:
                    exc.detail += (
                        f" The {start} credentials before them were accepted; run the command again after fixing "
                        "this (with clientRefs, those are not issued twice)."
                    )
                raise
            run.ids[start:end] = ids
            progress.advance(task, end - start)


def _wait(api: Api, run: Run, timeout_s: float, poll_interval_s: float) -> None:
    queue = deque(run.distinct_ids())
    deadline = time.monotonic() + timeout_s
    with _progress() as progress:
        task = progress.add_task("anchoring", total=len(queue))
        while queue:
            credential_id = queue[0]
            body = api.get(credential_id)
            if body.get("status") in FINAL:
                run.results[credential_id] = body
                queue.popleft()
                progress.advance(task)
                continue
            if time.monotonic() >= deadline:
                return
            time.sleep(poll_interval_s)


def _write_out(run: Run, out_dir: Path) -> int:
    """One bundle file per anchored credential, and index.csv (source, clientRef, id, status, reason, bundle)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for credential_id, body in run.results.items():
        if body.get("status") == "anchored" and isinstance(body.get("bundle"), dict):
            (out_dir / f"{credential_id}.json").write_text(dumps_bundle(body["bundle"]) + "\n", encoding="utf-8")
            written += 1
    with (out_dir / "index.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "clientRef", "id", "status", "failureReason", "bundle"])
        for index, (item, sent_id) in enumerate(zip(run.items, run.ids, strict=True)):
            if sent_id is None:
                writer.writerow([source_of(item, index), item.client_ref or "", "", "not sent", "", ""])
                continue
            body = run.results.get(sent_id, {})
            status = str(body.get("status", "pending"))
            bundle = f"{sent_id}.json" if status == "anchored" else ""
            writer.writerow(
                [
                    source_of(item, index),
                    item.client_ref or "",
                    sent_id,
                    status,
                    body.get("failureReason") or "",
                    bundle,
                ]
            )
    return written


def _summarise(run: Run, waited: bool, timeout_s: float) -> None:
    distinct = run.distinct_ids()
    repeated = len(run.items) - len(distinct)
    note = f" ({len(distinct):,} distinct: {repeated:,} repeat a clientRef of the file)" if repeated else ""
    out.print(f"accepted {len(run.items):,} credentials{note}")
    if not waited:
        out.print("not waiting for the anchors: run with --wait to wait and collect the bundles")
        return
    anchored = [i for i in distinct if run.status(i) == "anchored"]
    failed = [i for i in distinct if run.status(i) == "failed"]
    pending = len(distinct) - len(anchored) - len(failed)
    out.print(f"anchored {len(anchored):,}, failed {len(failed):,}, still pending {pending:,}")
    if failed:
        sources = {cid: source_of(item, n) for n, (item, cid) in enumerate(zip(run.items, run.ids, strict=True))}
        for credential_id in failed[:20]:
            reason = run.results[credential_id].get("failureReason") or "no reason recorded"
            out.print(f"  failed: {sources.get(credential_id, '?')} (id {credential_id}): {reason}", highlight=False)
        if len(failed) > 20:
            out.print(f"  … and {len(failed) - 20} more (see index.csv with --out)")
    if failed:
        raise ApiError(f"{len(failed)} credential(s) failed to anchor (reasons above); issue them again once fixed.")
    if pending:
        raise ApiError(
            f"{pending} credential(s) were not anchored within {timeout_s:g} s: is the node's batcher running? Their "
            "ids are in index.csv (with --out); check them later with GET /v1/credentials/{id}."
        )


ApiUrl = Annotated[str, typer.Option("--api-url", envvar="CREDREG_API_URL", help="The node's API.")]
"""The ``--api-url`` option of the commands that talk to a node's API."""
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="CREDREG_API_KEY",
        help="An issuer API key (prefer the environment variable: arguments are visible to other users).",
        show_default=False,
    ),
]
"""The ``--api-key`` option (or CREDREG_API_KEY) of those commands."""


def issuer_key(api_key: str | None) -> str:
    """The issuer API key given, stripped; refused when none was."""
    if not api_key or not api_key.strip():
        raise UnauthorizedError("no API key: set CREDREG_API_KEY to your issuer API key (or pass --api-key).")
    return api_key.strip()


@app.command("issue")
@friendly
def issue_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help='A .json file (a list of credentials, or {"credentials": [...]}) or a .csv file (a header row of '
            "type, version, clientRef, validFrom, validUntil and dotted credentialSubject paths such as learner.name; "
            "GET /v1/credential-types gives each type's template).",
            show_default=False,
        ),
    ],
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until every credential is anchored or failed.")] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write each anchored bundle (<id>.json) and index.csv here.", show_default=False),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, max=MAX_BULK, help="Credentials per request (each all-or-nothing).")
    ] = 1000,
    timeout_s: Annotated[
        float, typer.Option("--timeout", min=0, help="With --wait: give up after this many seconds.")
    ] = 600.0,
    poll_interval_s: Annotated[
        float, typer.Option("--poll-interval", min=0.01, help="With --wait: seconds between status checks.")
    ] = 1.0,
) -> None:
    """Issue every credential of a JSON or CSV file through a node's API."""
    key = issuer_key(api_key)
    run = Run(items=read_items(file))
    api = Api(api_url, key)
    try:
        _send(api, run, chunk_size)
        if wait:
            _wait(api, run, timeout_s, poll_interval_s)
    finally:
        api.close()
        if out_dir is not None and run.ids:
            written = _write_out(run, out_dir)
            err.print(f"wrote {written} bundle(s) and index.csv to {out_dir}")
    _summarise(run, wait, timeout_s)
