"""The documented error responses of the routes (OpenAPI ``responses``): which errors a route may answer, why, and
what the body says. Every error body is :class:`node.api.schemas.errors.ErrorBody`."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status

from node.api.schemas.errors import ErrorBody
from node.credentials.csvfile import MAX_CSV_BYTES
from node.credentials.items import MAX_BULK
from node.services.governance import ChainAct

Responses = dict[int | str, dict[str, Any]]


def documented(description: str) -> dict[str, Any]:
    """An error response: its meaning, the body being an :class:`ErrorBody`."""
    return {"model": ErrorBody, "description": description}


# --- credentials: each with an example body ---------------------------------------------------------------------------


def _example(description: str, error: str, detail: str) -> dict[str, Any]:
    return {**documented(description), "content": {"application/json": {"example": {"error": error, "detail": detail}}}}


E401 = _example(
    "No API key, or an unknown or revoked one.",
    "UnauthorizedError",
    "No API key was sent: send your API key as 'Authorization: Bearer crk_…' or 'X-API-Key: crk_…' (the operator "
    "creates keys with `credreg apikeys create`).",
)
E403 = _example(
    "Not an issuer key, or (to issue) the issuer is suspended on this node.",
    "ForbiddenError",
    "issuer 12 is suspended on this node, so it cannot issue credentials: ask its accreditation body to reinstate "
    "it. Credentials it issued before stay readable.",
)
E404 = _example(
    "No such credential among this issuer's credentials.",
    "NotFoundError",
    "credential 6f1c2b1e-2d3a-4c5b-9e8f-0a1b2c3d4e5f not found; check the id the node returned",
)
E409 = _example(
    "A credential with the same clientRef was written by a concurrent request; retry.",
    "ConflictError",
    "a credential with the same client_ref was written concurrently; retry the request",
)
E413 = _example(
    f"More than {MAX_BULK:,} credentials, or a CSV file over {MAX_CSV_BYTES // 2**20} MiB.",
    "PayloadTooLargeError",
    f"10,001 credentials in one request; at most {MAX_BULK:,} are accepted at once: split it (`credreg issue` does "
    "this for you).",
)
E422_ONE = _example(
    "The credential breaks its type's rules: every problem with its JSON pointer and rule (values are never quoted).",
    "SubmissionInvalidError",
    "The credential is not valid, so it was not accepted (2 problems): /credentialSubject/learner/name: is required "
    "(rule: required); /credentialSubject/qualification/nqfLevel: must be at most 10 (rule: maximum). Correct these "
    "fields and submit it again.",
)
E422_BULK = _example(
    "Some credentials break their type's rules; nothing was accepted. Every bad item is listed with its index, "
    "JSON pointer and rule (values are never quoted).",
    "SubmissionInvalidError",
    "2 of 500 credentials are not valid, so none was accepted (2 problems): item 3 /credentialSubject/awardDate: "
    "is not a real calendar date (YYYY-MM-DD) (rule: date); item 41 /type: is not a known credential type; use one "
    "of: formal-qualification, micro-credential, recognition-of-prior-learning (rule: enum). Correct them and submit "
    "the whole request again.",
)
E422_CSV = _example(
    "The file is not a readable CSV, or some rows break their type's rules; nothing was accepted. Every bad row is "
    "listed with its row number, column and rule (values are never quoted).",
    "SubmissionInvalidError",
    "1 of 120 rows are not valid, so none was accepted (1 problem): row 7, column qualification.nqfLevel "
    "(/credentialSubject/qualification/nqfLevel): must be a whole number (rule: type). Correct them and upload the "
    "file again.",
)
E422_QUERY = _example(
    "A query parameter is out of range.",
    "ValidationFailedError",
    "The request is not valid (1 problem): query parameter limit: Input should be less than or equal to 1000 "
    "(rule: less_than_equal). Correct it and send it again.",
)


# --- governance and issuers ---------------------------------------------------------------------------------------

AUTH_ERRORS: Responses = {
    401: documented("No API key, or an unknown / revoked one."),
    403: documented("Not a governor or admin key, or the contract refused the acting key."),
    422: documented("The request breaks a rule (the detail names the field and the rule)."),
}
WRITE_ERRORS: Responses = {
    **AUTH_ERRORS,
    404: documented("No such body, issuer, key or proposal."),
    409: documented("Not allowed from the current status (the detail says why and what next)."),
    502: documented("The chain refused the transaction."),
    503: documented(
        "The chain is unreachable (retry later), or the node holds no key it needs: no keystore "
        "passphrase configured (KeystorePassphraseMissingError: set CREDREG_KEYSTORE_PASSPHRASE or _FILE), no "
        "governor key or no keystore for the signer (SignerUnavailableError). The detail says which."
    ),
}


def pending_as_202(response: Response, act: ChainAct, done: int = status.HTTP_200_OK) -> None:
    """``done`` when the act is on chain; 202 while its governance proposal waits for approvals."""
    response.status_code = done if act.executed else status.HTTP_202_ACCEPTED
