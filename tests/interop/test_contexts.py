"""JSON-LD: every credreg document expands in safe mode, offline, with the packaged contexts."""

from __future__ import annotations

import copy

import pytest

from node.interop import contexts
from node.interop.contexts import ContextError, UndefinedTermError, document_loader, expand_strict, load_context
from tests.interop.conftest import sample_document
from tests.samples import VALID


@pytest.mark.parametrize("url", sorted(contexts.CONTEXTS))
def test_every_context_loads_offline(url: str) -> None:
    assert "@context" in load_context(url)


def test_standard_contexts_come_from_node_modules_not_the_repository() -> None:
    for source in contexts.CONTEXTS.values():
        if source.url == contexts.CREDREG_CONTEXT_URL:
            assert source.package is None
        else:
            assert source.package is not None
            assert not (contexts.PACKAGE_DIR / source.path).exists()


def test_an_unknown_context_is_refused_not_fetched() -> None:
    with pytest.raises(ContextError, match="nothing is fetched"):
        document_loader()("https://example.org/some/context", {})


@pytest.mark.parametrize("anchored", [False, True])
def test_every_document_type_expands_with_no_undefined_term(type_name: str, anchored: bool) -> None:
    expanded = expand_strict(sample_document(type_name, anchored=anchored))
    assert expanded and isinstance(expanded[0], dict)
    text = repr(expanded)
    assert contexts.ISSUER_DEPENDENT not in text
    assert "https://w3id.org/credreg/vocab#credentialHash" in text


def test_optional_fields_of_a_micro_credential_are_defined() -> None:
    from node.credentials.document import build_document

    subject = {**VALID["micro-credential"], "credits": 4, "nqfLevel": 5}
    expand_strict(build_document("micro-credential", subject, issuer_id="did:web:uni.example.ac.za"))


def test_an_undefined_term_is_refused() -> None:
    document = sample_document("formal-qualification")
    document["credentialSubject"]["hobby"] = "chess"
    with pytest.raises(UndefinedTermError, match="hobby"):
        expand_strict(document)


def test_an_undefined_type_is_refused() -> None:
    document = sample_document("micro-credential")
    document["type"] = [*document["type"], "SomethingElse"]
    with pytest.raises(UndefinedTermError):
        expand_strict(document)


def test_identity_type_and_qualification_id_are_literals_not_iris() -> None:
    expanded = repr(expand_strict(sample_document("formal-qualification")))
    assert "https://w3id.org/credreg/vocab#identityType" in expanded
    assert "https://w3id.org/credreg/vocab#qualificationId" in expanded


def test_field_hashes_are_a_json_literal() -> None:
    document = copy.deepcopy(sample_document("recognition-of-prior-learning"))
    expanded = expand_strict(document)
    proof_graph = expanded[0]["https://w3id.org/security#proof"][0]["@graph"][0]
    hashes = proof_graph["https://w3id.org/credreg/vocab#fieldHashes"][0]
    assert hashes["@type"] == "@json"
    assert hashes["@value"] == document["proof"]["fieldHashes"]
