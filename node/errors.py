"""The one exception tree of the node.

Every error the node raises on purpose derives from :class:`RegistryError` and carries the HTTP status it renders with.
The API has one handler that renders ``{"error": ClassName, "detail": ...}``; the CLI prints ``detail`` on one line and
exits non-zero. Messages say what to do next.
"""

from __future__ import annotations

from typing import ClassVar


class RegistryError(Exception):
    """Root of every error the node raises on purpose."""

    status_code: ClassVar[int] = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigurationError(RegistryError):
    """The node is set up wrongly (missing toolchain, unwritable directory, bad setting)."""

    status_code = 500


class ChainUnavailableError(RegistryError):
    """The JSON-RPC endpoint cannot be reached."""

    status_code = 503


class ChainMismatchError(RegistryError):
    """The chain answering is not the one the deployment manifest or the bundle names."""

    status_code = 409


class DeploymentError(RegistryError):
    """Contracts are missing, stale or could not be deployed."""

    status_code = 503


class DevnetError(RegistryError):
    """The local devnet could not be started, stopped or restored."""

    status_code = 500


class CompilerError(RegistryError):
    """The Solidity sources did not compile."""

    status_code = 500


class ValidationFailedError(RegistryError):
    """Input broke a schema or rule; detail names the field path and the rule."""

    status_code = 422


class BadRequestError(RegistryError):
    """A request the API cannot read at all (e.g. a multipart upload that is not valid multipart)."""

    status_code = 400


class NotFoundError(RegistryError):
    status_code = 404


class MethodNotAllowedError(RegistryError):
    """The path exists, but not with this HTTP method (the response's Allow header lists the ones it takes)."""

    status_code = 405


class UnauthorizedError(RegistryError):
    """No credentials, or credentials that do not match any key."""

    status_code = 401


class ForbiddenError(RegistryError):
    """Authenticated, but not allowed to do this."""

    status_code = 403


class ConflictError(RegistryError):
    status_code = 409


class ContractRevertError(RegistryError):
    """A contract refused a call with one of its custom errors (name and arguments in ``detail``)."""

    status_code = 409

    def __init__(self, detail: str, error_name: str | None = None, args: tuple[object, ...] = ()) -> None:
        super().__init__(detail)
        self.error_name = error_name
        self.error_args = args


class BatchStateError(ConflictError):
    """A batch is not in a state that allows this step (e.g. confirming a batch that was never signed)."""

    status_code = 409


# --- keys and transactions (node/chain/keystore.py, node/chain/txmanager.py) ---------------------------------------


class KeystoreError(ConfigurationError):
    """A keystore file is missing, unreadable, already exists, or its passphrase is not configured."""

    status_code = 500


class SignerUnavailableError(ConfigurationError):
    """The node holds no key for a signer a request needs (no governor key, an issuer with no keystore): its operator
    must configure one. 503: the request is fine, the node cannot act on it now."""

    status_code = 503


class KeystorePassphraseMissingError(KeystoreError):
    """The node has no usable keystore passphrase (CREDREG_KEYSTORE_PASSPHRASE / _FILE unset, empty, both set, or the
    file unreadable): it cannot sign with a keystore key until its operator sets one. 503: not the caller's fault."""

    status_code = 503


class KeystorePassphraseError(KeystoreError):
    """The passphrase does not decrypt the keystore (the message names the file)."""

    status_code = 500


class TransactionError(RegistryError):
    """Root of the transaction manager's errors; ``tx_hash`` and ``nonce`` say which transaction, when known."""

    status_code = 502

    def __init__(self, detail: str, tx_hash: str | None = None, nonce: int | None = None) -> None:
        super().__init__(detail)
        self.tx_hash = tx_hash
        self.nonce = nonce


class TransactionRejectedError(TransactionError):
    """The node refused to accept a signed transaction (e.g. insufficient funds, fee below the base fee)."""

    status_code = 502


class NonceConsumedError(TransactionError):
    """Another transaction used this signed transaction's nonce: it can never be mined; prepare the call again."""

    status_code = 409


class TransactionTimeoutError(TransactionError):
    """A transaction was not mined (or not confirmed) in time; it may still be mined, so keep it and wait again."""

    status_code = 504


class TransactionRevertedError(ContractRevertError):
    """A transaction was mined but reverted; ``error_name``/``error_args`` hold the decoded custom error if known."""

    status_code = 409

    def __init__(
        self,
        detail: str,
        error_name: str | None = None,
        args: tuple[object, ...] = (),
        tx_hash: str | None = None,
        block_number: int | None = None,
    ) -> None:
        super().__init__(detail, error_name, args)
        self.tx_hash = tx_hash
        self.block_number = block_number


# --- lifecycle and governance (node/services/lifecycle.py, node/services/governance.py) ----------------------------


class CredentialNotAnchoredError(ConflictError):
    """A lifecycle act named a credential or batch that is not anchored yet (still pending, batched or failed)."""

    status_code = 409


class InvalidTransitionError(ContractRevertError):
    """The contract refused a lifecycle act from the current status (e.g. revoking twice, reinstating an active one)."""

    status_code = 409


class AccreditationStateError(ContractRevertError):
    """The contract refused an accreditation act from the current status of the body, issuer or key."""

    status_code = 409


class ProposalStateError(ContractRevertError):
    """A governance proposal cannot take this step now (expired, executed, approved already, too few approvals)."""

    status_code = 409


class ContractForbiddenError(ContractRevertError):
    """The contract refused the acting key: it may not do this (not a governor, not the body admin, key not valid)."""

    status_code = 403


class ContractInputError(ContractRevertError):
    """The contract refused the arguments (scope, level or window outside what the grantor holds, a bad window)."""

    status_code = 422


class ContractNotFoundError(ContractRevertError):
    """The contract does not know the body, issuer, key, root or proposal named."""

    status_code = 404


# --- issuance over HTTP (node/services/issuance.py, node/cli/issue.py) ----------------------------------------------


class PayloadTooLargeError(RegistryError):
    """A request carries more than the node accepts at once (e.g. over 10,000 credentials); the detail names the
    limit."""

    status_code = 413


class ApiError(RegistryError):
    """A CLI command could not reach the node's HTTP API, or the API refused the request (its detail is repeated)."""

    status_code = 502


# --- verification and checkpoints (node/services/verification/, node/readmodel/checkpoint.py) ---------------------


class CheckpointError(ValidationFailedError):
    """A checkpoint file cannot be used: unreadable, not a credreg checkpoint, or not for the bundle at hand."""

    status_code = 422


class CheckpointSignatureError(CheckpointError):
    """A checkpoint's signature does not match its contents: it was altered after it was signed."""

    status_code = 422


class CheckpointUntrustedSignerError(CheckpointError):
    """A checkpoint was signed by someone other than the signer the verifier trusts."""

    status_code = 403


class CheckpointCoverageError(CheckpointError):
    """A bundle needs a chain fact the checkpoint did not record (the checkpoint was made for other bundles)."""

    status_code = 422


# --- the indexer (node/workers/indexer.py) --------------------------------------------------------------------------


class ChainReorganisedError(ChainUnavailableError):
    """The chain changed under the indexer while it read a range of blocks; it rewinds and reads again next poll."""

    status_code = 503


# --- share links (node/services/sharing.py) -------------------------------------------------------------------------


class ShareGoneError(RegistryError):
    """A share link that existed but can no longer be opened: it expired, its holder revoked it, or it was opened as
    many times as its holder allowed. The detail says which; the node no longer holds its ciphertext."""

    status_code = 410


class TooManyRequestsError(RegistryError):
    """A client asked for more than the node allows per minute (e.g. creating share links); the detail says when to
    try again."""

    status_code = 429

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
