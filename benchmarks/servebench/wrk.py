"""Throughput with ``wrk``: a Lua script posts each request's body with a random key, and
the summary (requests/s, latency percentiles, non-2xx answers, socket errors) is parsed
from wrk's output."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from fgbench.measure import Result

from .data import Body

PLACEHOLDER = 987654321  # a key no body contains otherwise; becomes %d in the script
SCRIPT = """\
local template = [==[{template}]==]
local entities = {entities}
local threads = 0
wrk.method = "POST"
wrk.path = "{path}"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(os.time() * 100 + seed)
end

function request()
  return wrk.format(nil, nil, nil, string.format(template, math.random(0, entities - 1)))
end
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def script(path: str, body: Body, entities: int) -> str:
    """The Lua script: ``body(key)`` with the key as ``%d`` (and any ``%`` escaped)."""
    template = body(PLACEHOLDER).decode().replace("%", "%%").replace(str(PLACEHOLDER), "%d")
    return SCRIPT.format(template=template, entities=entities, path=path)


def run_wrk(
    port: int,
    path: str,
    body: Body,
    entities: int,
    work: Path,
    seconds: float,
    connections: int = 8,
    threads: int = 2,
) -> Result:
    """``wrk -t threads -c connections -d seconds`` against ``path``; the parsed summary."""
    binary = shutil.which("wrk")
    if binary is None:
        return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
    lua = work / f"wrk-{port}-{path.strip('/').replace('/', '-')}.lua"
    lua.write_text(script(path, body, entities))
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["-s", str(lua), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        return {"skipped": f"wrk failed: {done.stderr.strip()[-300:]}"}
    return {**parse(done.stdout), "connections": connections, "threads": threads}


def parse(output: str) -> Result:
    """wrk's summary: requests, requests/s, p50/p99 latency (ms), non-2xx, socket errors."""
    requests = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if requests is None or rate is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = {
        f"p{p}_ms": float(value) * UNITS[unit]
        for p, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
        if sockets
        else dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    )
    return {
        "requests": int(requests.group(1)),
        "rps": float(rate.group(1)),
        **latency,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + sum(socket_errors.values()),
    }
