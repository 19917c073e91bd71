"""API keys: who is calling, and may they do this.

A key travels as ``Authorization: Bearer crk_…`` or ``X-API-Key: crk_…``. It is either a key from the store (its
hash is looked up: :meth:`node.store.Store.authenticate`) or the operator's ``CREDREG_ADMIN_API_KEY``, which acts as an
admin (compared in constant time). The dependency functions here are wrapped as ``Annotated`` aliases in
``node/api/deps.py`` (``PrincipalDep``, ``IssuerDep``, ``IssuerReaderDep``, ``AdminDep``, ``GovernorDep``).

Neither a presented key nor the admin key is ever logged or put into an error message.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from node.errors import ForbiddenError, UnauthorizedError
from node.runtime import Node
from node.services.issuance import active_issuer, issuer_of
from node.store import ApiKeyRole, Principal

ADMIN_KEY_ID = 0
"""The key id of the principal ``CREDREG_ADMIN_API_KEY`` authenticates (store keys start at 1)."""

HOW_TO_SEND = (
    "send your API key as 'Authorization: Bearer crk_…' or 'X-API-Key: crk_…' "
    "(the operator creates keys with `credreg apikeys create`)"
)

bearer_scheme = HTTPBearer(
    scheme_name="BearerApiKey",
    bearerFormat="crk_…",
    description="An API key as a bearer token: `Authorization: Bearer crk_…`.",
    auto_error=False,
)
header_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="HeaderApiKey",
    description="The same API key in a header of its own: `X-API-Key: crk_…`.",
    auto_error=False,
)


def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def _is_admin_key(presented: str, admin_key: SecretStr | None) -> bool:
    """Constant-time comparison (of digests, so the length of the configured key does not leak either)."""
    if admin_key is None or not admin_key.get_secret_value():
        return False
    expected = hashlib.sha256(admin_key.get_secret_value().encode("utf-8")).digest()
    given = hashlib.sha256(presented.encode("utf-8")).digest()
    return hmac.compare_digest(expected, given)


def get_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(header_scheme)],
) -> Principal:
    """The principal of the presented key; 401 when there is none or it is unknown or revoked."""
    presented = (bearer.credentials if bearer is not None else None) or header_key
    if not presented or not presented.strip():
        raise UnauthorizedError(f"No API key was sent: {HOW_TO_SEND}.")
    presented = presented.strip()
    node = _node(request)
    if _is_admin_key(presented, node.settings.admin_api_key):
        return Principal(
            key_id=ADMIN_KEY_ID, role=ApiKeyRole.ADMIN, issuer_id=None, label="CREDREG_ADMIN_API_KEY", prefix="env"
        )
    principal = node.store.authenticate(presented)
    if principal is None:
        raise UnauthorizedError(
            "The API key is not valid or has been revoked: check that you copied it whole, or ask the operator for a "
            "new one (`credreg apikeys create`)."
        )
    return principal


PrincipalParam = Annotated[Principal, Depends(get_principal)]


def require_issuer(request: Request, principal: PrincipalParam) -> Principal:
    """An issuer key whose issuer is active on this node (what issuing needs); else 403."""
    active_issuer(_node(request).store, principal)
    return principal


def require_issuer_reader(request: Request, principal: PrincipalParam) -> Principal:
    """An issuer key of any issuer registered here, also a suspended one (reading its own credentials); else 403."""
    issuer_of(_node(request).store, principal)
    return principal


def require_admin(principal: PrincipalParam) -> Principal:
    if principal.role is not ApiKeyRole.ADMIN:
        raise ForbiddenError(
            f"this needs an admin API key, and yours has the role {principal.role.value}: use the operator's "
            "CREDREG_ADMIN_API_KEY or an admin key (`credreg apikeys create --role admin`)."
        )
    return principal


def require_governor(principal: PrincipalParam) -> Principal:
    if principal.role not in (ApiKeyRole.GOVERNOR, ApiKeyRole.ADMIN):
        raise ForbiddenError(
            f"this needs a governor or admin API key, and yours has the role {principal.role.value}: ask the "
            "operator for one (`credreg apikeys create --role governor`)."
        )
    return principal
