"""The wire models of the disclosure policies: what a holder may hide of each credential type and version."""

from __future__ import annotations

from pydantic import Field

from node.api.schemas.base import ApiSchema
from node.credentials.disclosure import DisclosurePolicy
from node.credentials.types import CredentialType


class ClaimOut(ApiSchema):
    label: str = Field(examples=["Qualification"])
    path: str = Field(examples=["/credentialSubject/qualification/title"])


class DisclosurePolicyOut(ApiSchema):
    """What a holder may hide of one credential type and version."""

    type: str = Field(examples=["formal-qualification"])
    version: int = Field(examples=[1])
    title: str = Field(examples=["Formal qualification"])
    schema_id: str = Field(
        description="The document's /credentialSchema/id for this type and version.",
        examples=["https://w3id.org/credreg/schemas/formal-qualification/v1"],
    )
    hideable: list[str] = Field(
        description="JSON pointers a holder may hide: the field, or every field under it.",
        examples=[["/credentialSubject/learner", "/credentialSubject/awardDate"]],
    )
    level_field: str | None = Field(
        description="The field that decides the issuer's accreditation scope.",
        examples=["/credentialSubject/qualification/nqfLevel"],
    )
    claims: list[ClaimOut] = Field(description="The type's main claims, with labels for people.")

    @classmethod
    def of(cls, credential_type: CredentialType, policy: DisclosurePolicy) -> DisclosurePolicyOut:
        return cls(
            type=credential_type.name,
            version=credential_type.version,
            title=credential_type.title,
            schema_id=credential_type.schema_id,
            hideable=list(policy.hideable),
            level_field=policy.level_field,
            claims=[ClaimOut.model_validate(claim) for claim in policy.claims],
        )


class DisclosurePoliciesOut(ApiSchema):
    policies: list[DisclosurePolicyOut]


__all__ = ["ClaimOut", "DisclosurePoliciesOut", "DisclosurePolicyOut"]
