"""The clients, standard library only: one keep-alive connection doing requests one after
another (latency percentiles), and the soak's paced client (a steady rate from a few
threads, each with its own connection, while the server's memory is sampled).

Every answer is read in full and checked: status 200, and the value it carries for the
entity equal to the data's (``check``), so that a fast wrong answer does not count."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fgbench.measure import Result
from fvbench.online import percentiles

from .data import Body

HEADERS = {"Content-Type": "application/json"}
TIMEOUT = 10.0


@dataclass(frozen=True)
class Endpoint:
    """A POST path, the body for a key, and the value its answer should carry for that key
    (``extract`` from the answer, ``expected(key)`` from the data; ``expected`` None: any
    number will do)."""

    path: str
    body: Body
    extract: Callable[[dict[str, Any]], Any]
    expected: Callable[[int], float] | None = None

    def wrong(self, key: int, payload: bytes) -> bool:
        try:
            value = self.extract(json.loads(payload))
        except (ValueError, KeyError, IndexError, TypeError):
            return True
        if not isinstance(value, int | float) or isinstance(value, bool):
            return True
        return self.expected is not None and abs(value - self.expected(key)) > 1e-9


class Connection:
    """One keep-alive connection that reconnects after a failure."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body); status 0 for a socket error."""
        try:
            self._connection.request("POST", path, body, HEADERS)
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=TIMEOUT)
            return 0, b""

    def close(self) -> None:
        self._connection.close()


def sequential(port: int, endpoint: Endpoint, keys: Sequence[int], warmup: int) -> Result:
    """Time one request per key of ``keys`` (after ``warmup`` untimed ones), one at a time:
    percentiles (µs), errors (non-200 or socket), wrong answers."""
    bodies = [(key, endpoint.body(key)) for key in keys]
    warm_up(port, endpoint, keys[:warmup])
    connection = Connection(port)
    timings: list[float] = []
    errors = wrong = 0
    for key, body in bodies[warmup:]:
        start = time.perf_counter()
        status, payload = connection.post(endpoint.path, body)
        timings.append(time.perf_counter() - start)
        if status != 200:
            errors += 1
        elif endpoint.wrong(key, payload):
            wrong += 1
    connection.close()
    return {**percentiles(timings), "errors": errors, "wrong": wrong}


def warm_up(port: int, endpoint: Endpoint, keys: Sequence[int]) -> None:
    """One untimed request per key (the server's first requests load what it lazily can)."""
    connection = Connection(port)
    for key in keys:
        connection.post(endpoint.path, endpoint.body(key))
    connection.close()


def schedule(start: float, rate: float, threads: int, thread: int, i: int) -> float:
    """When request ``i`` of ``thread`` is due: together the threads send ``rate`` a second,
    evenly interleaved."""
    return start + (i * threads + thread) / rate


def paced(
    port: int,
    endpoints: Sequence[Endpoint],
    keys: Sequence[int],
    rate: float,
    seconds: float,
    sample: Callable[[], float],
    sample_every: float = 10.0,
    threads: int = 4,
) -> Result:
    """``rate`` requests a second for ``seconds``, cycling through ``endpoints``; ``sample()``
    (the server's RSS) every ``sample_every`` seconds. A request that falls behind its time
    is sent at once and counted as late (the rate is then what the server could take)."""
    start = time.perf_counter() + 0.1
    stop = start + seconds
    lock = threading.Lock()
    totals = {"sent": 0, "errors": 0, "wrong": 0, "late": 0}
    timings: list[float] = []

    def worker(thread: int) -> None:
        connection = Connection(port)
        counts = dict.fromkeys(totals, 0)
        mine: list[float] = []
        i = 0
        while (due := schedule(start, rate, threads, thread, i)) < stop:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.1:
                counts["late"] += 1
            n = i * threads + thread
            endpoint, key = endpoints[n % len(endpoints)], keys[n % len(keys)]
            began = time.perf_counter()
            status, payload = connection.post(endpoint.path, endpoint.body(key))
            mine.append(time.perf_counter() - began)
            counts["sent"] += 1
            if status != 200:
                counts["errors"] += 1
            elif endpoint.wrong(key, payload):
                counts["wrong"] += 1
            i += 1
        connection.close()
        with lock:
            for name, value in counts.items():
                totals[name] += value
            timings.extend(mine)

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    samples: list[tuple[float, float]] = []
    k = 0
    while start + k * sample_every < stop:
        time.sleep(max(0.0, start + k * sample_every - time.perf_counter()))
        samples.append((time.perf_counter() - start, sample()))
        k += 1
    for w in workers:
        w.join()
    samples.append((time.perf_counter() - start, sample()))
    return {
        **totals,
        "seconds": seconds,
        "rate": rate,
        "achieved_rate": totals["sent"] / seconds,
        "latency": percentiles(timings) if timings else {},
        "rss_samples": samples,
    }
