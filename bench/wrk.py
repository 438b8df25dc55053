"""HTTP load with wrk (https://github.com/wg/wrk), read back as numbers instead of wrk's text summary.

Whatever Lua script drives the requests, a small report is appended to it: its `done()` prints one JSON line
between two markers, which `run_wrk` parses. wrk runs `setup()` and `done()` in a Lua state of their own, apart
from the threads that send requests, so the answers outside 2xx (wrk itself only counts those above 399) are
counted in each thread's `response()` and collected in `done()` through the thread handles `setup()` kept.
"""

from __future__ import annotations

import ipaddress
import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench._common import Load

WRK = "/usr/bin/wrk"
BEGIN = "FOERDERWEG-WRK-REPORT-BEGIN"
END = "FOERDERWEG-WRK-REPORT-END"
PERCENTILES = (50, 90, 99, 99.9)

REPORT_LUA = f"""
-- Appended by bench/wrk.py: count answers outside 2xx per thread, report everything as one JSON line.
local fw_threads = {{}}
local fw_user_setup = setup
function setup(thread)
  table.insert(fw_threads, thread)
  if fw_user_setup ~= nil then fw_user_setup(thread) end
end

fw_non_2xx = 0
local fw_user_response = response
function response(status, headers, body)
  if status < 200 or status > 299 then fw_non_2xx = fw_non_2xx + 1 end
  if fw_user_response ~= nil then return fw_user_response(status, headers, body) end
end

local fw_user_done = done
function done(summary, latency, requests)
  local non_2xx = 0
  for _, thread in ipairs(fw_threads) do non_2xx = non_2xx + (thread:get("fw_non_2xx") or 0) end
  local e = summary.errors
  io.write("\\n{BEGIN}\\n")
  io.write(string.format(
    '{{"requests":%d,"duration_us":%d,"errors":{{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"non_2xx":%d}},"latency_us":{{"p50":%d,"p90":%d,"p99":%d,"p99.9":%d,' ..
    '"mean":%.3f,"max":%d}}}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, non_2xx,
    latency:percentile({PERCENTILES[0]}), latency:percentile({PERCENTILES[1]}),
    latency:percentile({PERCENTILES[2]}), latency:percentile({PERCENTILES[3]}), latency.mean, latency.max))
  io.write("{END}\\n")
  if fw_user_done ~= nil then fw_user_done(summary, latency, requests) end
end
"""


class WrkMissing(RuntimeError):
    """wrk is not installed where we look for it."""


class WrkFailed(RuntimeError):
    """wrk ran but gave no report (it could not connect, or the script broke)."""


@dataclass(frozen=True)
class WrkReport:
    """Everything the report line carries; `load` is the summary the benchmarks compare."""

    requests: int
    duration_us: int
    errors: Mapping[str, int]
    latency_us: Mapping[str, float]

    @property
    def failed(self) -> int:
        # Answers with status > 399 are inside non_2xx already; socket errors and timeouts have no answer.
        e = self.errors
        return e["connect"] + e["read"] + e["write"] + e["timeout"] + e["non_2xx"]

    @property
    def load(self) -> Load:
        seconds = self.duration_us / 1e6
        return Load(
            requests=self.requests, seconds=seconds, per_second=self.requests / seconds if seconds else 0.0,
            p50_ms=self.latency_us["p50"] / 1000, p90_ms=self.latency_us["p90"] / 1000,
            p99_ms=self.latency_us["p99"] / 1000, errors=self.failed)


def run_wrk(url: str, *, script: Path | None, duration_s: float, connections: int = 16, threads: int = 2,
            timeout_s: float = 5) -> Load:
    """Load `url` (loopback only) for `duration_s` seconds, driven by the Lua `script` (GET `url` if None)."""
    return run_wrk_report(url, script=script, duration_s=duration_s, connections=connections, threads=threads,
                          timeout_s=timeout_s).load


def run_wrk_report(url: str, *, script: Path | None, duration_s: float, connections: int = 16, threads: int = 2,
                   timeout_s: float = 5) -> WrkReport:
    """Like `run_wrk`, with the whole report: every kind of error, the 99.9th percentile, the mean."""
    _refuse_unless_loopback(url)
    wrk = _wrk_binary()
    user_lua = script.read_text(encoding="utf-8") if script is not None else ""
    with tempfile.TemporaryDirectory(prefix="foerderweg-wrk-") as folder:
        reporting = Path(folder) / "reporting.lua"
        reporting.write_text(user_lua + "\n" + REPORT_LUA, encoding="utf-8")
        # wrk takes whole seconds only; it also needs at least one connection per thread.
        command = [wrk, "--latency", f"--threads={min(threads, connections)}", f"--connections={connections}",
                   f"--duration={max(1, round(duration_s))}s", f"--timeout={max(1, math.ceil(timeout_s))}s",
                   f"--script={reporting}", url]
        finished = subprocess.run(command, capture_output=True, text=True, check=False,
                                  timeout=duration_s + timeout_s + 30)
    return parse_report(finished.stdout, stderr=finished.stderr, returncode=finished.returncode)


def parse_report(stdout: str, *, stderr: str = "", returncode: int = 0) -> WrkReport:
    """The report line between the markers in wrk's output."""
    start, end = stdout.find(BEGIN), stdout.find(END)
    if returncode != 0 or start < 0 or end < start:
        raise WrkFailed(f"wrk exited {returncode} without a report:\n{stdout}\n{stderr}".rstrip())
    line: dict[str, Any] = json.loads(stdout[start + len(BEGIN):end])
    return WrkReport(requests=int(line["requests"]), duration_us=int(line["duration_us"]),
                     errors={k: int(v) for k, v in line["errors"].items()},
                     latency_us={k: float(v) for k, v in line["latency_us"].items()})


def post_json_script(folder: Path, *, paths: Sequence[str], body: Mapping[str, Any],
                     headers: Mapping[str, str] | None = None) -> Path:
    """A Lua script (written into `folder`) that POSTs `body` as JSON to `paths` in turn, with `headers`.

    The requests are built once per thread, as wrk's docs advise; each thread starts at its own place in
    `paths`, so that with many paths (e.g. one per row) the threads do not write the same rows in lockstep.
    """
    if not paths:
        raise ValueError("post_json_script needs at least one path")
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    lua_paths = ",\n  ".join(_lua_string(p) for p in paths)
    lua_headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in all_headers.items())
    text = f"""-- Written by bench/wrk.py post_json_script: POST one JSON body to each path in turn.
local paths = {{
  {lua_paths}
}}
local headers = {{ {lua_headers} }}
local body = {_lua_string(json.dumps(dict(body), separators=(",", ":")))}
local fw_next_thread = 0

function setup(thread)
  thread:set("fw_thread_index", fw_next_thread)
  fw_next_thread = fw_next_thread + 1
end

local requests = {{}}
local position = 0
function init(args)
  for i, path in ipairs(paths) do requests[i] = wrk.format("POST", path, headers, body) end
  -- Spread the threads' starting points over the paths.
  position = ((fw_thread_index or 0) * 7919) % #requests
end

function request()
  position = position + 1
  if position > #requests then position = 1 end
  return requests[position]
end
"""
    script = folder / "post_json.lua"
    script.write_text(text, encoding="utf-8")
    return script


def _lua_string(text: str) -> str:
    # A double-quoted Lua literal; everything outside printable ASCII as a decimal byte escape.
    escaped = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            escaped.append("\\" + char)
        elif 32 <= byte < 127:
            escaped.append(char)
        else:
            escaped.append(f"\\{byte:03d}")
    return '"' + "".join(escaped) + '"'


def _wrk_binary() -> str:
    found = WRK if Path(WRK).is_file() else shutil.which("wrk")
    if found is None:
        raise WrkMissing(f"wrk is not installed ({WRK} not found): apt-get install wrk")
    return found


def _refuse_unless_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"load only goes to loopback addresses (e.g. 127.0.0.1), not {host!r}")
