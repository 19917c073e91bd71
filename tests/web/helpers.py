"""What the browser tests do to a page: drop a file, guard against any request that leaves the node."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def drop_file(page: Any, selector: str, path: Path) -> None:
    """Drop ``path`` on ``selector`` the way a person drags a file from their desktop (a DataTransfer with a File)."""
    transfer = page.evaluate_handle(
        """([text, name]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "application/json" }));
            return transfer;
        }""",
        [path.read_text(encoding="utf-8"), path.name],
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


class RequestLog:
    """Every request a page makes; anything not addressed to the node is refused and recorded as ``outside``."""

    def __init__(self, page: Any, node_url: str) -> None:
        self.node_url = node_url
        self.outside: list[str] = []
        self.requests: list[tuple[str, str]] = []
        page.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        request = route.request
        url: str = request.url
        self.requests.append((request.method, url))
        if url.startswith(self.node_url + "/") or url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def calls(self, method: str) -> list[str]:
        return [u.removeprefix(self.node_url) for m, u in self.requests if m == method]


def intercept_file_choosers(page: Any) -> None:
    """Have Playwright intercept file choosers from the start: a listener turns interception on, so the chooser a key
    press opens later is never missed while ``expect_file_chooser`` is still enabling it (a race that lost the event
    once on a loaded 2-core CI machine)."""
    page.on("filechooser", lambda _chooser: None)
