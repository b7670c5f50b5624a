"""Headless Chromium for the report tests, driven over the DevTools protocol on a pipe (no extra package).

``render(page, png)`` opens an HTML file the way a person would (file://, full page), with no
network: in a network namespace of its own when ``unshare -n`` works, and with every host name
unresolvable and every proxy dead in any case. It returns what the page logged as errors, every
request it made (the page itself should be the only one) and the answers to a few DOM queries,
and writes a full-page screenshot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
)  # fmt: skip


def _no_network_prefix() -> list[str]:
    """``unshare -n`` (a namespace with no interface but a downed loopback) when the kernel allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are numbered 10 or more, so that moving them to 3 and 4 never clobbers one."""
    import fcntl

    ends = os.pipe()
    high = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in ends)
    for fd in ends:
        os.close(fd)
    return high


@dataclass
class Rendered:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, CSP and load failures
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    values: dict[str, object] = field(default_factory=dict)  # the answers to the queries
    isolated: bool = False  # ran in its own network namespace


class _Pipe:
    """The DevTools protocol over --remote-debugging-pipe: JSON messages ended by a NUL byte."""

    def __init__(self, write_fd: int, read_fd: int, proc: subprocess.Popen):
        self.write_fd, self.read_fd, self.proc = write_fd, read_fd, proc
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _stderr(self) -> str:
        try:
            self.proc.wait(timeout=5)
            return self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""
        except subprocess.TimeoutExpired:
            return "(still running)"

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise RuntimeError(f"chromium closed the pipe (exit code {self.proc.poll()}): {self._stderr()}")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"chromium is gone (exit code {self.proc.poll()}): {self._stderr()}") from None
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)


def _errors(events: list[dict]) -> list[str]:
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append("exception: " + str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.append("log: " + params["entry"].get("text", ""))
        elif method == "Network.loadingFailed":
            out.append("load failed: " + params.get("errorText", ""))
    return out


def render(page: Path, png: Path | None, queries: dict[str, str], width: int = 1280, timeout: float = 90) -> Rendered:
    """Open ``page``, run each JavaScript query (its value comes back), screenshot the whole page to ``png``."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    prefix = _no_network_prefix()
    to_chrome_r, to_chrome_w = _high_pipe()
    from_chrome_r, from_chrome_w = _high_pipe()
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    cmd = [*prefix, "bash", "-c", f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', "bash", CHROMIUM, *FLAGS,
           f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]  # fmt: skip
    proc = subprocess.Popen(cmd, pass_fds=(to_chrome_r, from_chrome_w), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pipe = _Pipe(to_chrome_w, from_chrome_r, proc)
    result = Rendered(isolated=bool(prefix))
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)  # fmt: skip
        pipe.events.clear()
        pipe.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired", timeout=timeout)
        for name, expression in queries.items():
            reply = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            if "exceptionDetails" in reply:
                raise RuntimeError(f"query {name!r} failed: {reply['exceptionDetails'].get('text')}")
            result.values[name] = reply["result"].get("value")
        if png is not None:
            size = pipe.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = pipe.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(size["height"], 16000), "scale": 1},
            }, session=session)  # fmt: skip
            import base64

            png.write_bytes(base64.b64decode(shot["data"]))
        time.sleep(0.2)  # late console messages
        pipe.send("Runtime.evaluate", {"expression": "1"}, session=session)
        result.errors = _errors(pipe.events)
        result.requests = [e["params"]["request"]["url"] for e in pipe.events if e.get("method") == "Network.requestWillBeSent"]
        try:
            pipe.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError):
            pass
    finally:
        os.close(to_chrome_w)
        os.close(from_chrome_r)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return result
