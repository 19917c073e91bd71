"""What a certificate prints for each credential type: which field is the title, who it is awarded to, which facts.

One :class:`Layout` per type name (every version of a type shares it while its field paths stay the same). A type with
no layout here cannot be printed (:func:`layout_for` raises :class:`CertificateError`): the renderer never guesses
which field is the title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from node.errors import ValidationFailedError

S = "/credentialSubject"
LEARNER_NAME = f"{S}/learner/name"

FactKind = Literal["level", "credits", "hours", "date"]


class CertificateError(ValidationFailedError):
    """A bundle the renderer will not print: the strict reader refused it, its fields do not match its proof, it is
    not anchored yet, or its type has no certificate layout. ``detail`` says which and what to do."""


@dataclass(frozen=True)
class Fact:
    """One fact in the row under the learner's name."""

    label: str
    path: str
    kind: FactKind


@dataclass(frozen=True)
class Layout:
    heading: str
    """What the credential is, printed small above the title (e.g. "Formal qualification")."""
    title: str
    """Path of the title printed large."""
    awarded: str
    """The phrase before the learner's name ("awarded to")."""
    facts: tuple[Fact, ...]
    reference: tuple[str, str] | None = None
    """(label, path) of the registered id printed under the title, e.g. the SAQA qualification id."""
    reference_kind: str | None = None
    """Path of a word that names what the reference is (RPL: "qualification" or "module")."""
    items: tuple[str, str] | None = None
    """(label, path) of a list printed under the facts (a micro-credential's competencies)."""


LAYOUTS: dict[str, Layout] = {
    "formal-qualification": Layout(
        heading="Formal qualification",
        title=f"{S}/qualification/title",
        awarded="awarded to",
        facts=(
            Fact("NQF level", f"{S}/qualification/nqfLevel", "level"),
            Fact("Credits", f"{S}/qualification/credits", "credits"),
            Fact("Awarded on", f"{S}/awardDate", "date"),
        ),
        reference=("Qualification id", f"{S}/qualification/id"),
    ),
    "micro-credential": Layout(
        heading="Micro-credential",
        title=f"{S}/title",
        awarded="awarded to",
        facts=(
            Fact("NQF level", f"{S}/nqfLevel", "level"),
            Fact("Credits", f"{S}/credits", "credits"),
            Fact("Learning time", f"{S}/hours", "hours"),
            Fact("Awarded on", f"{S}/awardDate", "date"),
        ),
        items=("Competencies", f"{S}/competencies"),
    ),
    "recognition-of-prior-learning": Layout(
        heading="Recognition of prior learning",
        title=f"{S}/recognised/title",
        awarded="credit granted to",
        facts=(
            Fact("NQF level", f"{S}/nqfLevel", "level"),
            Fact("Credits", f"{S}/credits", "credits"),
            Fact("Assessed on", f"{S}/assessmentDate", "date"),
        ),
        reference=("id", f"{S}/recognised/id"),
        reference_kind=f"{S}/recognised/kind",
    ),
}


def layout_for(type_name: str, type_version: int) -> Layout:
    layout = LAYOUTS.get(type_name)
    if layout is None:
        raise CertificateError(
            f"There is no certificate layout for {type_name} v{type_version} credentials; the credential can still be "
            "verified from its file. Update the node to print it."
        )
    return layout
