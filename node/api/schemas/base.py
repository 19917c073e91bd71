"""The one camelCase base of the wire models: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiSchema(BaseModel):
    """A wire model: camelCase aliases, populated by either name, or from a service's frozen value's attributes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ApiRequest(ApiSchema):
    """A request body: an unknown field is refused (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")


__all__ = ["ApiRequest", "ApiSchema"]
