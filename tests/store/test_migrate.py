"""node/store/migrate.py and the migrations: the schema they build is the models' (and only that), they run twice,
down and up again, render for PostgreSQL, and upgrade an older store's data intact, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from node.store import Store, alembic_config
from node.store.models import Base


def _diff(store: Store) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parent: not (type_ == "table" and name == "alembic_version"),
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_migrate_creates_schema_matching_models(store_url: str) -> None:
    store = Store(store_url)
    assert store.schema_revision() is None
    store.migrate()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert store.schema_revision() == head
    assert _diff(store) == []
    tables = set(inspect(store.engine).get_table_names())
    assert tables == {
        "alembic_version",
        "issuers",
        "api_keys",
        "credentials",
        "credential_documents",
        "batches",
        "nonces",
        "events",
        "indexer_cursor",
        "blocks",
        "shares",
    }
    store.close()


def test_compare_detects_drift(store_url: str) -> None:
    """The schema check above can fail: an unmigrated database differs from the models."""
    store = Store(store_url)
    assert _diff(store) != []
    store.close()


def test_migrate_is_idempotent_and_downgrade_round_trips(store_url: str) -> None:
    store = Store(store_url)
    store.migrate()
    store.migrate()
    with store.engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    store.migrate()
    assert _diff(store) == []
    store.close()


def test_migration_renders_for_postgresql() -> None:
    """The migration has no SQLite-only SQL: it renders (offline, no server needed) for PostgreSQL."""
    import io

    buffer = io.StringIO()
    cfg = alembic_config("postgresql://credreg@localhost/credreg")
    cfg.output_buffer = buffer
    command.upgrade(cfg, "head", sql=True)
    sql = buffer.getvalue()
    assert "CREATE TABLE credentials" in sql
    assert "BIGSERIAL" in sql or "SERIAL" in sql
    assert "PRAGMA" not in sql


def _revision(store: Store, revision: str, *, down: bool = False) -> None:
    with store.engine.begin() as connection:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrading_a_store_with_per_credential_proofs_keeps_every_proof(store_url: str) -> None:
    """0001 stored a proof and the document in each credential's row; 0002 stores each batch's tree once and the
    documents apart. A store built by 0001 upgrades with every proof (read back from the tree) and document intact,
    and downgrades with both written back."""
    from node.credentials.keccak import keccak256, to_hex
    from node.credentials.merkle import MerkleTree

    store = Store(store_url)
    _revision(store, "0001")
    hashes = [keccak256(b"credential %d" % i) for i in range(5)]
    tree = MerkleTree(hashes)
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO issuers (id, name, metadata_uri, signer_address, status, created_at) "
                "VALUES (7, 'U', 'did:web:u', '0x0', 'active', '2026-11-22 00:00:00+00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO batches (id, issuer_id, root, leaf_count, status, attempts, created_at) "
                "VALUES (1, 7, :root, 5, 'built', 0, '2026-11-22 00:00:00+00')"
            ),
            {"root": to_hex(tree.root)},
        )
        for i, h in enumerate(hashes):
            connection.execute(
                text(
                    "INSERT INTO credentials (id, issuer_id, type_name, type_version, credential_hash, document, "
                    "status, batch_id, leaf_index, merkle_proof, created_at) "
                    "VALUES (:id, 7, 'T', '1', :hash, :document, 'batched', 1, :index, :proof, "
                    "'2026-11-22 00:00:00+00')"
                ),
                {
                    "id": f"c{i}",
                    "hash": to_hex(h),
                    "document": json.dumps({"n": i}),
                    "index": i,
                    "proof": json.dumps([to_hex(p) for p in tree.proof(i)]),
                },
            )
    store.migrate()
    assert _diff(store) == []
    for i in range(5):
        credential = store.get_credential(f"c{i}")
        assert credential.merkle_proof == tuple(to_hex(p) for p in tree.proof(i))
        assert json.loads(credential.document) == {"n": i}
    _revision(store, "0001", down=True)
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, merkle_proof, document FROM credentials ORDER BY id")).all()
    # a JSON column reads back as text on SQLite and as the decoded value on PostgreSQL (raw SQL: no type applied)
    decoded = [
        (cid, proof if isinstance(proof, list) else json.loads(proof), document) for cid, proof, document in rows
    ]
    assert [(cid, proof, json.loads(document)) for cid, proof, document in decoded] == [
        (f"c{i}", [to_hex(p) for p in tree.proof(i)], {"n": i}) for i in range(5)
    ]
    store.close()


def test_alembic_config_points_at_the_packaged_scripts() -> None:
    from node.store.migrate import MIGRATIONS_DIR

    cfg = alembic_config()
    assert Path(str(cfg.get_main_option("script_location"))) == MIGRATIONS_DIR
    assert cfg.get_main_option("sqlalchemy.url") is None
    assert [r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()][-1] == "0001"
    # a percent sign in a URL (an escaped password) survives alembic's interpolation
    assert alembic_config("postgresql://u:p%40ss@db/credreg").get_main_option("sqlalchemy.url") == (
        "postgresql://u:p%40ss@db/credreg"
    )


def test_two_processes_migrating_one_fresh_database_at_once_both_start(store_url: str) -> None:
    """Two nodes starting together on an empty database: one migrates, the other waits and finds it at head."""
    import threading

    stores = [Store(store_url) for _ in range(2)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def start(store: Store) -> None:
        barrier.wait()
        try:
            store.migrate()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert [s.schema_revision() for s in stores] == [head, head]
    assert _diff(stores[0]) == []
    for s in stores:
        s.close()
