"""RPC faults for the transaction manager: which are transient (retried with backoff), the node messages that
mean "already sent" or "nonce used", and a revert turned into ContractRevertError (decoded when the ABI knows it)."""

from __future__ import annotations

import http.client
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from web3.exceptions import ProviderConnectionError, RequestTimedOut, TooManyRequests, Web3RPCError

from node.chain.client import decode_revert, is_revert
from node.chain.txtypes import RetryPolicy
from node.errors import ChainUnavailableError, ContractRevertError

log = logging.getLogger("node.chain.txmanager")

T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,  # refused, reset, DNS
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.HTTPError,  # only 429 and 5xx, see is_transient
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    ProviderConnectionError,
    TooManyRequests,
    RequestTimedOut,
)

# substrings of node error messages (geth, Besu, Nethermind, anvil, erigon), compared lower-case
ALREADY_KNOWN = ("already known", "already imported", "known transaction", "alreadyknown", "already exists")
NONCE_USED = ("nonce too low", "nonce has already been used", "oldnonce", "replacement transaction underpriced",
               "replacement underpriced", "replacement fee too low")  # fmt: skip


def with_retries(policy: RetryPolicy, what: str, fn: Callable[[], T]) -> T:
    """Run one RPC; retry transient faults with backoff and jitter for up to ``policy.total_s``."""
    deadline = time.monotonic() + policy.total_s
    delay = policy.initial_s
    while True:
        try:
            return fn()
        except TRANSIENT_ERRORS as exc:
            if not is_transient(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChainUnavailableError(
                    f"{what} failed for {policy.total_s:g} s ({type(exc).__name__}): the JSON-RPC node is "
                    "unreachable or failing. Check it is running and reachable; the work is kept and can be "
                    "retried."
                ) from exc
            log.warning("%s failed (%s); retrying in up to %.2f s", what, type(exc).__name__, delay)
            time.sleep(min(remaining, delay * (0.5 + random.random() / 2)))
            delay = min(delay * policy.multiplier, policy.max_s)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        return status == 429 or status >= 500
    return True


def rpc_message(exc: Web3RPCError) -> str:
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict):
        error = response.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
    return str(exc)


def revert_error(exc: BaseException, abi: list[dict[str, Any]] | None, to: str) -> ContractRevertError:
    decoded = None
    if abi:
        decoded = decode_revert(exc, abi)
    if decoded is not None:
        return decoded
    if not is_revert(exc):  # pragma: no cover - REVERT_ERRORS are reverts by construction
        raise exc
    return ContractRevertError(
        f"the contract at {to} refused the call: {exc}. Check the arguments and the caller's permissions."
    )
