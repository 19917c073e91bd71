"""Node settings: pydantic-settings, environment prefix ``CREDREG_``.

Built once per process by :func:`get_settings` (cached); nothing here connects to anything.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout this package runs from (contracts/build and node_modules live here)."""

DEVNET_CHAIN_ID = 472_019
"""The local devnet's chain id: ours, not 1337 or 31337, so a bundle from a generic dev chain never matches."""


class Settings(BaseSettings):
    """Every knob of the node. Each field reads ``CREDREG_<NAME>`` from the environment or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="CREDREG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".credreg"), description="Devnet state, deployment manifest, database.")
    artifacts_dir: Path = Field(
        default=PROJECT_ROOT / "contracts" / "build", description="Compiled contract artifacts (committed)."
    )
    node_modules_dir: Path = Field(default=PROJECT_ROOT / "node_modules", description="npm toolchain.")

    rpc_url: str | None = Field(default=None, description="JSON-RPC endpoint; unset means the local devnet.")
    chain_id: int = Field(default=DEVNET_CHAIN_ID, description="Chain id of the devnet this node starts.")
    rpc_timeout_s: float = 10.0

    devnet_host: str = "127.0.0.1"
    devnet_port: int = Field(default=8545, description="Devnet RPC port; 0 picks a free one.")
    devnet_block_time_s: float = Field(default=1.0, description="Interval mining: one block every N seconds.")
    devnet_snapshot_interval_s: float = Field(
        default=5.0, description="How often the devnet state is snapshotted atomically (the most a kill -9 loses)."
    )

    api_host: str = "127.0.0.1"
    api_port: int = 8000

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; unset means SQLite in data_dir.")

    max_request_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest body of the bulk issuance routes, and the ceiling of every other cap; larger bodies get "
        "413 before they are read into memory.",
    )
    max_verify_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest body of POST /v1/verify: a bundle is a few KB; the largest the node can issue (100 "
        "competencies of 300 characters) about 130 KB.",
    )
    max_verify_batch_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest body of POST /v1/verify/batch (up to 1,000 bundles)."
    )
    max_other_request_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest body of every other route (one credential, lifecycle, governance and admin calls).",
    )

    devnet_zero_fee: bool = Field(
        default=False,
        description="Run the devnet as a zero-fee chain (base fee and gas price 0), as a Besu QBFT network is.",
    )
    priority_fee_wei: int | None = Field(
        default=None,
        ge=0,
        description="The EIP-1559 tip the node pays per gas; default: what the chain suggests. 0 on a zero-fee chain "
        "(Besu QBFT with min-gas-price=0), so keys need no balance.",
    )
    share_max_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Longest a learner's share link may stay open (days); the learner picks up to this.",
    )
    share_creates_per_minute: int = Field(
        default=10,
        ge=1,
        description="Share links one client address may create per minute (POST /v1/shares); more get 429.",
    )
    certificate_link_days: int = Field(
        default=3650,
        ge=1,
        le=36_500,
        description="How long the share link in a certificate's QR code opens (days; a printed certificate is kept "
        "for years).",
    )
    public_url: str | None = Field(
        default=None,
        description="The node's address as verifiers reach it (e.g. https://registry.example.ac.za), for the links "
        "printed in certificates; default: the address the request came to.",
    )
    share_sweep_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the node deletes the ciphertext of share links past their expiry (seconds).",
    )

    gil_switch_interval_ms: float = Field(
        default=1.0,
        ge=0.1,
        le=100,
        description="How long a worker thread of the API (a large body being parsed and verified) may hold the "
        "interpreter lock before the event loop gets it back (Python's default: 5 ms).",
    )

    batch_max_size: int = Field(default=1024, ge=1, le=65536)
    batch_max_wait_ms: int = Field(default=2000, ge=10)
    confirmations: int = Field(
        default=0,
        ge=0,
        description="Blocks on top of an anchor before its credentials count as anchored. 0 suits the target "
        "networks (Besu QBFT / IBFT: a block is final once produced; the devnet); raise it on a chain that can reorg. "
        "Resets and reorgs are caught either way: the batcher re-checks anchors by block hash and re-anchors.",
    )
    batcher_enabled: bool = Field(
        default=True,
        description="The API runs the batcher (anchoring); off: run `python -m node.workers.batcher` yourself.",
    )
    batcher_process: bool = Field(
        default=True,
        description="Run the API's batcher as its own child process (started, supervised and stopped by the API), "
        "so bulk uploads and anchoring do not share one interpreter lock; false: a thread inside the API process.",
    )

    indexer_enabled: bool = Field(
        default=True, description="Follow the registry's events into the store and the in-memory mirror (the API)."
    )
    indexer_poll_interval_s: float | None = Field(
        default=None, gt=0, description="How often the indexer polls the chain; unset means the devnet block time."
    )
    indexer_max_block_range: int = Field(
        default=2000, ge=1, le=100_000, description="Most blocks per eth_getLogs (halved when the node refuses)."
    )

    deployer_key: SecretStr | None = Field(
        default=None, description="Key that deploys and pays; unset on the devnet means anvil's dev account 0."
    )
    keystore_passphrase: SecretStr | None = None
    keystore_passphrase_file: Path | None = None
    admin_api_key: SecretStr | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'credreg.db').resolve()}"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def devnet_dir(self) -> Path:
        return self.data_dir / "devnet"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
