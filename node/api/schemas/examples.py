"""The example data of the OpenAPI document, in one place: what the wire models and routes show as examples.

None of it is on any chain: the hashes, addresses and blocks are made up to show the shapes.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_ID = "6f1c2b1e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"
EXAMPLE_HASH = "0x5a3f0c9d7e21b4a8c6d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4"
EXAMPLE_ROOT = "0x4f3c1d2e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"

# --- credentials --------------------------------------------------------------------------------------------------

EXAMPLE_SUBJECT: dict[str, Any] = {
    "learner": {"name": "Thandi Nkosi", "identity": {"type": "passport", "number": "A12345678", "country": "ZA"}},
    "qualification": {
        "id": "SAQA-94025",
        "title": "Bachelor of Science in Computer Science",
        "nqfLevel": 7,
        "credits": 360,
    },
    "institution": "University of Example",
    "awardDate": "2026-11-20",
}

CREDENTIAL_EXAMPLE: dict[str, Any] = {
    "type": "formal-qualification",
    "version": 1,
    "credentialSubject": EXAMPLE_SUBJECT,
    "validUntil": "2036-11-20T00:00:00Z",
    "clientRef": "2026-graduation/BSC-CS/0001",
}

ANCHOR_EXAMPLE: dict[str, Any] = {
    "merkleRoot": EXAMPLE_HASH,
    "transactionHash": EXAMPLE_HASH,
    "blockNumber": 1204,
    "chainId": 472019,
    "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
}

SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_ID,
    "status": "pending",
    "type": "formal-qualification",
    "version": 1,
    "credentialHash": EXAMPLE_HASH,
    "clientRef": "2026-graduation/BSC-CS/0001",
    "createdAt": "2026-11-22T08:00:00Z",
    "anchoredAt": None,
    "batchId": None,
    "failureReason": None,
}

TYPE_EXAMPLE: dict[str, Any] = {
    "name": "formal-qualification",
    "version": 1,
    "vcType": "FormalQualificationCredential",
    "title": "Formal qualification (v1)",
    "description": "A registered qualification awarded by an institution.",
    "schemaId": "https://w3id.org/credreg/schemas/formal-qualification/v1",
    "typeId": EXAMPLE_HASH,
    "subjectSchema": {"type": "object", "required": ["learner", "qualification"]},
    "csvColumns": [{"name": "type", "required": True, "kind": "string", "description": "The credential type's name."}],
    "csvHeader": ["type", "version", "clientRef", "validFrom", "validUntil", "learner.name"],
    "csvTemplate": "type,version,clientRef,validFrom,validUntil,learner.name\n",
}

# --- verification -------------------------------------------------------------------------------------------------

EXAMPLE_BUNDLE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/credreg/contexts/v1"],
    "type": ["VerifiableCredential", "MicroCredential"],
    "id": "urn:uuid:3f2b8c1e-5d4a-4e7b-9c61-0a1b2c3d4e5f",
    "issuer": {"id": "did:web:demo-university.credreg.test"},
    "validFrom": "2026-11-22T08:00:00Z",
    "credentialSubject": {
        "learner": {"name": "Jan de Wet"},
        "title": "Solar PV installation basics",
        "provider": "Example Skills Academy",
        "hours": 40,
        "competencies": ["Size a small PV system"],
        "awardDate": "2025-09-30",
    },
    "credentialSchema": {"id": "https://w3id.org/credreg/schemas/micro-credential/v1", "type": "JsonSchema"},
    "proof": {
        "type": "CredregMerkleAnchor2026",
        "hashAlgorithm": "credreg-salted-fields-keccak256-jcs-v1",
        "credentialHash": "0xf95e6dd722044a2fc7b9d3d85bd2d962fa623ee27fd67114ccb12bb328c047ea",
        "fieldHashes": {
            "/@context": "0xd650e751211a160ccc1370704b53580c5abcadc995aa8d8078aa906a2f8e9dad",
            "/credentialSchema/id": "0x2afc5f14ec4f6800f34790ceea2ffc9ebf715ecbe1d0ea4ba8acb46043b3e2f5",
            "/credentialSchema/type": "0xdcf919d04d79dbee02f3583bb7c4efacadfde48e9a4396ada0421b43b4497932",
            "/credentialSubject/awardDate": "0xa654ea6c77eb01d410577f19eebb7dc17765cbb646823d4c30f9f16518d4d3ac",
            "/credentialSubject/competencies": "0x84cb03d005e325002a14761d748431c5574bfe32351ad2d165cfad1bc85c9c4f",
            "/credentialSubject/hours": "0x885be5c6a1af681e9ea032748c45742e00e7be0fffa6646e8acf027a40ed676a",
            "/credentialSubject/learner/identity/country": "0x4c423c3c893d574648518ee080f55cf8f375033a464a839881d35b33eae4ca64",  # noqa: E501
            "/credentialSubject/learner/identity/number": "0x7467db39ee6cf374ace2e1ea6270267626f19c122c0610f8717b61a053df87b6",  # noqa: E501
            "/credentialSubject/learner/identity/type": "0xde5e5276ea186b41a40ef336914f1a01ede376ebb490683204c315c79ce15577",  # noqa: E501
            "/credentialSubject/learner/name": "0x317e77164727ca1fe1564233276a7dc782b22add05113c20c58cd80adce0b1ef",
            "/credentialSubject/provider": "0x1ab7e4f4b7099079cd40cc55e8b3c3ad2977e548e9a33fd76f3f8bfed23f446c",
            "/credentialSubject/title": "0xb1a83f560c160f26d4d9c1aca057b35a84d3697e5fde017aeeeb1ce7a933b334",
            "/id": "0xca8432bdcb9c21c305fa56c30005f21f60b5be137da91e46c7f830e5d95f0d67",
            "/issuer/id": "0x0f4bc9ed21cda5a521c52d5e69f81a9fa7aaa4704efa3daacab75be64b5c453f",
            "/type": "0xd1b5f73f96c240d530812a62f29e3bcae185fcb3104e9834632df24e4b530ada",
            "/validFrom": "0xb26cdb711790fde072bb8a911090d30eb4efb254cfacd49cdc66f55bfc749ab9",
        },
        "salts": {
            "/@context": "0x24a68701d8b98a7c00402b4fa3f7cbe1d7ac21ba7b4a5127fcc47339893d713b",
            "/credentialSchema/id": "0xc3f729234bd598ffaf8840084e4ee14b9d3e8d4f0adbbb55b79b968452ac9be2",
            "/credentialSchema/type": "0x4af99426aac515671862f7668bc7e57e5e4ee0bace36bf4a1ef82f24738f4943",
            "/credentialSubject/awardDate": "0xefc61d2311fee868f4d9873c334a13e47982a88622382697c8b37f2d7bd1d595",
            "/credentialSubject/competencies": "0x7dd6490a748909077e55722802e145c37375bae02198ef89efd6f88b8b632216",
            "/credentialSubject/hours": "0x3d5fb27249dcbc1f162ef5235f34b49efb0651f89d6d5d43620a0f01a018b2af",
            "/credentialSubject/learner/name": "0xaf85340906a473d8153e520e11b34551ce9a1332f69544f11bcbb8c91270c703",
            "/credentialSubject/provider": "0x9c635f9dd6a99b742535998efe232398bf8422f986f152dfc32e3014595f8d66",
            "/credentialSubject/title": "0x85558e57ec6c8b5072000a974bf3ebb248cf0f34fb62e66ea5b66c47ed640d82",
            "/id": "0xdf9350c3cce394cfc39007675d46e62d95714360ba2fb3c743e6171322a79401",
            "/issuer/id": "0x724b6244b9ff981de564ef0b7ac447b3c97e40c86bd02253f953de014173e9fc",
            "/type": "0xbbd9c9fd8d2dcf79d3971796772a1728462c2ca488de1747d8c82314db308b8e",
            "/validFrom": "0xa2b13091804c4483e9a90c5f20dac800436ce1d665538a706dc39ab882be5458",
        },
        "anchor": {
            "merkleRoot": "0xd6ca9ec1049da66ea158f8f5227a98042c96cdac4e773303f02600d7f5199fba",
            "merkleProof": ["0xc3873e8853d0caa210e0cff5d127ee04681f7a3954b64a7e1d5bc3b3310ec720"],
            "chainId": 472019,
            "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "transactionHash": "0x6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a",
            "blockNumber": 1200,
        },
    },
}
"""A micro-credential bundle with the learner's identity hidden (its anchor is an example, not on any chain)."""

# --- events -------------------------------------------------------------------------------------------------------

EVENT_ARGS: dict[str, Any] = {"root": EXAMPLE_ROOT, "credentialHash": "0x" + "00" * 32, "reasonCode": 2}

EVENT_EXAMPLE: dict[str, Any] = {
    "blockNumber": 1234,
    "blockHash": "0x9a1c5e0d0b3f4e1d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d",
    "blockTimestamp": 1795309737,
    "txHash": "0x23a760f9dc58dda1cb3652d99cfbfe5b70a9262c18728dee6cb5a5a9d7223319",
    "logIndex": 0,
    "contract": "CredentialRegistry",
    "name": "CredentialRevoked",
    "args": EVENT_ARGS,
    "root": EXAMPLE_ROOT,
    "issuerId": 1,
}
