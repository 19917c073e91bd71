"""Fixtures shared by the whole suite: isolated settings, a real anvil on a free loopback port, a node on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.client import connect
from node.chain.deploy import deploy
from node.chain.devnet import DEV_PRIVATE_KEYS, Devnet
from node.config import DEVNET_CHAIN_ID, PROJECT_ROOT, Settings
from node.runtime import Node
from node.services.bootstrap import DemoIssuer, ensure_demo_issuer

NODE_MODULES = PROJECT_ROOT / "node_modules"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing at a private data dir; the environment is cleared of CREDREG_ variables."""
    import os

    for name in list(os.environ):
        if name.startswith("CREDREG_"):
            monkeypatch.delenv(name)
    return Settings(data_dir=data_dir, devnet_port=0, devnet_block_time_s=0.2, devnet_snapshot_interval_s=0.5)


def start_devnet(state_dir: Path, block_time_s: float | None = 0.2, snapshot_interval_s: float | None = 0.5) -> Devnet:
    devnet = Devnet(
        state_dir=state_dir,
        node_modules=NODE_MODULES,
        chain_id=DEVNET_CHAIN_ID,
        port=0,
        block_time_s=block_time_s,
        snapshot_interval_s=snapshot_interval_s,
        zero_fee=os.environ.get("CREDREG_TEST_ZERO_FEE") == "1",  # the suite once as on a Besu QBFT chain
    )
    devnet.start()
    return devnet


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Devnet]:
    """A real anvil (interval mining, 0.2 s blocks) on a free loopback port, stopped after the test."""
    devnet = start_devnet(tmp_path / "anvil")
    try:
        yield devnet
    finally:
        devnet.stop()


@pytest.fixture
def devnode(anvil: Devnet, settings: Settings) -> Iterator[tuple[Node, DemoIssuer]]:
    """A deployed registry, the demo issuer (anvil dev key 2), and a node on them; batches of 8, 600 ms wait."""
    settings.batch_max_size = 8
    settings.batch_max_wait_ms = 600
    deploy(connect(anvil.url), Account.from_key(DEV_PRIVATE_KEYS[0]), settings.manifest_path, settings.artifacts_dir)
    node = Node.open(settings, rpc_url=anvil.url)
    try:
        yield node, ensure_demo_issuer(node)
    finally:
        node.close()


@pytest.fixture
def tester_w3() -> Web3:
    """An in-process chain (eth-tester over py-evm)."""
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import EthereumTesterProvider

    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))


@pytest.fixture
def tester_account(tester_w3: Web3) -> LocalAccount:
    """The first funded eth-tester account, as a local signer (its key is eth-tester's public test key)."""
    backend = tester_w3.provider.ethereum_tester.backend  # type: ignore[attr-defined]
    account: LocalAccount = Account.from_key(backend.account_keys[0])
    return account


# ---- databases: SQLite always; PostgreSQL when a server answers (CREDREG_TEST_DATABASE_URL, else the local one) ----

POSTGRES_URL_ENV = "CREDREG_TEST_DATABASE_URL"
DEFAULT_POSTGRES_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",  # a server whose superuser is the machine's root
)
POSTGRES_HOW = (
    f"set {POSTGRES_URL_ENV}=postgresql+psycopg://USER@HOST:PORT/DB (a database the user may create databases from) "
    "or start PostgreSQL on 127.0.0.1:5432"
)
POSTGRES_SKIPPED = "PostgreSQL tests skipped"


def _libpq(url: str) -> str:
    """The libpq URI of a SQLAlchemy ``postgresql[+driver]://`` URL (what psycopg connects with)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """The PostgreSQL half of the suite: one uniquely named database per test session (created from the given
    maintenance database, dropped at the end), one fresh schema per test inside it (``search_path`` in the URL)."""

    def __init__(self, url: str) -> None:
        import secrets

        import psycopg

        self.admin_url = url
        self._token = f"{os.getpid()}_{secrets.token_hex(3)}"
        self._admin = psycopg.connect(_libpq(url), autocommit=True, connect_timeout=3)
        self._created: str | None = None
        name = f"credreg_test_{self._token}"
        try:
            self._admin.execute(f'CREATE DATABASE "{name}"')
            self._created = name
        except psycopg.errors.InsufficientPrivilege:
            name = ""  # no CREATEDB: fresh schemas in the given database instead
        from sqlalchemy.engine import make_url

        self.url = make_url(url).set(database=name) if name else make_url(url)
        self._db = psycopg.connect(_libpq(self.url.render_as_string(hide_password=False)), autocommit=True)
        self._db.execute("SET lock_timeout = '10s'")
        self._schemas = 0

    def fresh_url(self) -> tuple[str, str]:
        """(URL, schema): a new empty schema that the URL's connections use by default."""
        self._schemas += 1
        schema = f"t_{self._token}_{self._schemas}"
        self._db.execute(f'CREATE SCHEMA "{schema}"')
        # a session time zone that is not UTC (-03:30), so that no test passes only because the server's is UTC
        url = self.url.update_query_dict({"options": f"-csearch_path={schema} -ctimezone=America/St_Johns"})
        return url.render_as_string(hide_password=False), schema

    def drop(self, schema: str) -> None:
        import contextlib

        import psycopg

        # a connection a test left open may still hold it; the session's database is dropped at the end anyway
        with contextlib.suppress(psycopg.errors.LockNotAvailable):
            self._db.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def close(self) -> None:
        self._db.close()
        if self._created is not None:
            self._admin.execute(f'DROP DATABASE "{self._created}" WITH (FORCE)')
        self._admin.close()


def _postgres_unavailable(url: str, explicit: bool) -> str | None:
    """Why no PostgreSQL server can be used for ``url`` (``None``: one answers)."""
    import psycopg

    try:
        psycopg.connect(_libpq(url), connect_timeout=2).close()
    except psycopg.Error as exc:
        where = f"{POSTGRES_URL_ENV}={url}" if explicit else "127.0.0.1:5432"
        why = str(exc).strip().splitlines()[0].rpartition("failed: ")[2]
        return f"no PostgreSQL server answers at {where} ({why})"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL database. No server: the test skips with one line saying how to run it, except
    under ``CI=true`` or with ``CREDREG_TEST_DATABASE_URL`` set, where it fails (the PostgreSQL half never skips
    there)."""
    given = os.environ.get(POSTGRES_URL_ENV, "").strip()
    for url in (given,) if given else DEFAULT_POSTGRES_URLS:
        reason = _postgres_unavailable(url, explicit=bool(given))
        if reason is None or "Network is unreachable" in reason or "Connection refused" in reason:
            break  # it answers, or no server is there at all (no use trying another user)
    if reason is not None:
        if given or os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; the PostgreSQL tests must run here: {POSTGRES_HOW}", pytrace=False)
        pytest.skip(f"{POSTGRES_SKIPPED}: {reason}; to run them, {POSTGRES_HOW}")
    server = PostgresServer(url)
    try:
        yield server
    finally:
        server.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Every PostgreSQL skip is reported at one place, so ``-ra`` folds them into ONE line (with their count)."""
    report = yield
    longrepr = getattr(report, "longrepr", None)
    if report.skipped and isinstance(longrepr, tuple) and str(longrepr[2]).startswith(f"Skipped: {POSTGRES_SKIPPED}"):
        report.longrepr = (__file__, _SKIP_LINE, longrepr[2])
    return report


_SKIP_LINE = pytest_runtest_makereport.__code__.co_firstlineno


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL (``postgresql+psycopg://``) of a fresh, empty schema for this test only."""
    url, schema = postgres_server.fresh_url()
    try:
        yield url
    finally:
        postgres_server.drop(schema)


@pytest.fixture(scope="module")
def node_backend(request: pytest.FixtureRequest) -> str:
    """The database of the module's node: ``sqlite``, or each of a module's ``NODE_BACKENDS`` (a module-level
    tuple, e.g. ``("sqlite", "postgresql")``: its node-level tests, those taking ``node_database`` directly or through
    tests/api/conftest.py's ``api_node``, then run once per database; see :func:`pytest_generate_tests`)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="module")
def node_database(node_backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[[], str | None]]:
    """Make the database of one of the module's nodes: ``None`` (SQLite in the node's data dir) or the URL of a
    fresh PostgreSQL schema (one per call: two nodes of a module never share one), dropped after the module."""
    schemas: list[str] = []

    def make() -> str | None:
        if node_backend != "postgresql":
            return None
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url, schema = server.fresh_url()
        schemas.append(schema)
        return url

    yield make
    if schemas:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        for schema in schemas:
            server.drop(schema)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backends = getattr(metafunc.module, "NODE_BACKENDS", None)
    if backends and "node_backend" in metafunc.fixturenames:
        metafunc.parametrize("node_backend", list(backends), indirect=True, scope="module")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """``tests on postgresql: K in all`` (every test that ran on PostgreSQL, see ``_ON_POSTGRESQL``) and
    ``store tests: N on sqlite, M on postgresql``: how many tests/store tests ran (passed or failed) per
    backend (the ``backend`` parameter of tests/store/conftest.py; else a test taking ``postgres_url`` is PostgreSQL's,
    one taking ``db_path`` SQLite's; tests of no database are not counted)."""
    counts = {outcome: {"sqlite": 0, "postgresql": 0} for outcome in ("ran", "skipped", "error")}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            backend = _STORE_BACKENDS.get(getattr(report, "nodeid", ""))
            if backend is None:
                continue
            if outcome == "skipped" or (outcome == "error" and report.when == "setup"):
                counts[outcome][backend] += 1
            elif outcome in ("passed", "failed") and report.when == "call":
                counts["ran"][backend] += 1
    on_postgresql = {"ran": 0, "skipped": 0}
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "nodeid", "") not in _ON_POSTGRESQL:
                continue
            if outcome == "skipped":
                on_postgresql["skipped"] += 1
            elif report.when == "call":
                on_postgresql["ran"] += 1
    if on_postgresql["ran"] or on_postgresql["skipped"]:
        skipped = f" ({on_postgresql['skipped']} skipped)" if on_postgresql["skipped"] else ""
        terminalreporter.write_line(f"tests on postgresql: {on_postgresql['ran']} in all{skipped}")
    if not any(n for per_backend in counts.values() for n in per_backend.values()):
        return
    ran = counts["ran"]
    line = f"store tests: {ran['sqlite']} on sqlite, {ran['postgresql']} on postgresql"
    extra = [
        f"{n} {'skipped' if outcome == 'skipped' else 'could not start'} on {backend}"
        for outcome in ("skipped", "error")
        for backend, n in counts[outcome].items()
        if n
    ]
    terminalreporter.write_line(line + (f" ({', '.join(extra)})" if extra else ""))


_STORE_BACKENDS: dict[str, str] = {}
"""nodeid -> backend of every collected tests/store test that uses a database (see pytest_collection_modifyitems)."""


_ON_POSTGRESQL: set[str] = set()
"""nodeid of every collected test that runs on PostgreSQL: a ``backend`` or ``node_backend`` parameter of
``postgresql``, or a PostgreSQL fixture (``postgres_url``, ``postgres_server``), anywhere in the suite."""

_POSTGRES_FIXTURES = ("postgres_url", "postgres_server")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if "postgresql" in (params.get("backend"), params.get("node_backend"), params.get("url")) or any(
            name in getattr(item, "fixturenames", ()) for name in _POSTGRES_FIXTURES
        ):
            _ON_POSTGRESQL.add(item.nodeid)
        if not item.nodeid.startswith("tests/store/"):
            continue
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        fixtures = getattr(item, "fixturenames", ())
        if backend is None and "postgres_url" in fixtures:
            backend = "postgresql"
        elif backend is None and "db_path" in fixtures:
            backend = "sqlite"
        if backend is not None:
            _STORE_BACKENDS[item.nodeid] = str(backend)
