"""node/errors.py: the one exception tree; each error carries the HTTP status the API renders it with."""

from __future__ import annotations

import inspect

import pytest

from node import errors
from node.errors import (
    ChainMismatchError,
    ChainUnavailableError,
    ConfigurationError,
    ConflictError,
    ContractRevertError,
    RegistryError,
    TransactionError,
    TransactionRevertedError,
    ValidationFailedError,
)

STATUS = {
    "RegistryError": 500,
    "ConfigurationError": 500,
    "ChainUnavailableError": 503,
    "ChainMismatchError": 409,
    "DeploymentError": 503,
    "DevnetError": 500,
    "CompilerError": 500,
    "ValidationFailedError": 422,
    "BadRequestError": 400,
    "NotFoundError": 404,
    "MethodNotAllowedError": 405,
    "UnauthorizedError": 401,
    "ForbiddenError": 403,
    "ConflictError": 409,
    "ContractRevertError": 409,
    "BatchStateError": 409,
    "KeystoreError": 500,
    "SignerUnavailableError": 503,  # the request is fine; the node cannot act on it now
    "KeystorePassphraseMissingError": 503,
    "KeystorePassphraseError": 500,
    "TransactionError": 502,
    "TransactionRejectedError": 502,
    "NonceConsumedError": 409,
    "TransactionTimeoutError": 504,
    "TransactionRevertedError": 409,
    "CredentialNotAnchoredError": 409,
    "InvalidTransitionError": 409,
    "AccreditationStateError": 409,
    "ProposalStateError": 409,
    "ContractForbiddenError": 403,
    "ContractInputError": 422,
    "ContractNotFoundError": 404,
    "PayloadTooLargeError": 413,
    "ApiError": 502,
    "CheckpointError": 422,
    "CheckpointSignatureError": 422,
    "CheckpointUntrustedSignerError": 403,
    "CheckpointCoverageError": 422,
    "ChainReorganisedError": 503,
}

TREE = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, RegistryError)]


@pytest.mark.parametrize(("name", "status"), sorted(STATUS.items()))
def test_each_error_renders_with_its_status(name: str, status: int) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, RegistryError)
    assert cls.status_code == status


@pytest.mark.parametrize("cls", TREE, ids=lambda c: c.__name__)
def test_every_error_has_an_http_error_status_and_keeps_its_detail(cls: type[RegistryError]) -> None:
    assert 400 <= cls.status_code <= 599
    if issubclass(cls, ValidationFailedError):
        assert 400 <= cls.status_code <= 499, "a broken rule is the caller's to fix"
    signature = inspect.signature(cls)
    extra: dict[str, object] = {name: None for name in list(signature.parameters)[1:] if name != "args"}
    if "retry_after_s" in extra:
        extra["retry_after_s"] = 1
    exc = cls("what went wrong, and what to do next", **extra)
    assert exc.detail == str(exc) == "what went wrong, and what to do next"


def test_the_subtrees_a_caller_catches() -> None:
    assert issubclass(errors.ChainReorganisedError, ChainUnavailableError)  # the indexer retries either the same way
    assert issubclass(errors.KeystorePassphraseMissingError, ConfigurationError)
    assert issubclass(errors.SignerUnavailableError, ConfigurationError)
    assert issubclass(errors.BatchStateError, ConflictError)
    assert issubclass(errors.CheckpointSignatureError, ValidationFailedError)
    for cls in (errors.InvalidTransitionError, errors.ContractNotFoundError, TransactionRevertedError):
        assert issubclass(cls, ContractRevertError)
    assert not issubclass(ChainMismatchError, ChainUnavailableError)  # the wrong chain is not "retry later"


def test_contract_and_transaction_errors_carry_what_was_decoded() -> None:
    revert = ContractRevertError("refused", "AlreadyAnchored", (b"\x01", 7))
    assert (revert.error_name, revert.error_args) == ("AlreadyAnchored", (b"\x01", 7))
    bare = ContractRevertError("refused")
    assert (bare.error_name, bare.error_args) == (None, ())
    tx = TransactionError("not mined", tx_hash="0x" + "ab" * 32, nonce=4)
    assert (tx.tx_hash, tx.nonce) == ("0x" + "ab" * 32, 4)
    mined = TransactionRevertedError("reverted", "NotAccredited", (3,), tx_hash="0x01", block_number=12)
    assert (mined.error_name, mined.error_args, mined.tx_hash, mined.block_number) == (
        "NotAccredited",
        (3,),
        "0x01",
        12,
    )
