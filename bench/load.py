"""The load: gunicorn with production settings on 127.0.0.1, real logins, timed requests.

Only the loopback address is ever requested; every loop is bounded in count and in time.
"""

import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from bench.generate import PASSWORD

HOST = "127.0.0.1"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the portal as in production (DEBUG=false, WhiteNoise's manifest), plus the bare view."""

    def __init__(self, workers=3, threads=1, database_url=None):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "BENCH_VIEW": "true",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            # One role's sessions wait while the others are measured: no idle sign-out during a run.
            "SESSION_IDLE_TIMEOUT": "240",
            "LOG_LEVEL": "ERROR",
        }
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.process = None

    @property
    def description(self):
        kind = f"gthread, {self.threads} threads" if self.threads > 1 else "sync"
        return f"gunicorn, {self.workers} workers ({kind}), DEBUG=false"

    def __enter__(self):
        base = Path(settings.BASE_DIR)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=base, env=self.env, check=True
        )
        command = [
            sys.executable, "-m", "gunicorn", "ror_portal.wsgi:application", "--bind", f"{HOST}:{self.port}",
            "--workers", str(self.workers), "--timeout", "60", "--log-level", "warning",
        ]  # fmt: skip
        if self.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.threads)]
        self.process = subprocess.Popen(command, cwd=base, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn s'est arrêté au démarrage.")
            try:
                if Session(self.port).request("GET", "/connexion/")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn ne répond pas après 60 s.")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Session:
    """One HTTP connection with its cookies (kept even when marked Secure: the bench speaks plain http)."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies = {}

    def request(self, method, path, headers=None, body=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()  # the server closed a kept-alive connection: once more on a new one
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, content, response

    def login(self, username, password=PASSWORD):
        """Through the real login form: its CSRF token and cookie, then the POST."""
        status, content, _ = self.request("GET", "/connexion/")
        match = CSRF_RE.search(content.decode())
        if status != 200 or not match:
            raise RuntimeError(f"Page de connexion inattendue ({status}).")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match[1], "next": ""})
        status, _content, response = self.request(
            "POST", "/connexion/", {"Content-Type": "application/x-www-form-urlencoded"}, body
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"Connexion de {username} refusée ({status}).")
        return self


def percentile(values, q):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def timed_requests(session, page, requests, max_seconds, warmup, warmup_seconds=1.0, bare=None, bare_requests=20):
    """Sequential requests: up to ``warmup`` first (at least one, at most ``warmup_seconds`` on a slow page), then up
    to ``requests`` or ``max_seconds`` (at least 5). With ``bare`` (the bare view's page), ``bare_requests`` of the
    bare view just before the page's and as many just after, timed apart: the page's ratio is then to the bare view
    of the same seconds (``bare_p50``), whatever the machine's speed did over the run. Not alternating one for one:
    a bare request right after a page's overlaps the end of the page's work on the server (about twice as slow)."""
    started = time.monotonic()
    for n in range(warmup):
        if n and time.monotonic() - started > warmup_seconds:
            break
        session.request("GET", page.path, page.headers)
    bare_latencies = _latencies(session, bare, bare_requests) if bare is not None else []
    latencies, statuses = [], set()
    started = time.monotonic()
    while len(latencies) < requests and (len(latencies) < 5 or time.monotonic() - started < max_seconds):
        before = time.perf_counter()
        status, _content, _ = session.request("GET", page.path, page.headers)
        latencies.append(time.perf_counter() - before)
        statuses.add(status)
    if bare is not None:
        bare_latencies += _latencies(session, bare, bare_requests)
    result = {
        "n": len(latencies),
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "status": "/".join(str(s) for s in sorted(statuses)),
    }
    if bare_latencies:
        result["bare_p50"] = percentile(bare_latencies, 50) * 1000
    return result


def _latencies(session, page, requests):
    latencies = []
    for _ in range(requests):
        before = time.perf_counter()
        session.request("GET", page.path, page.headers)
        latencies.append(time.perf_counter() - before)
    return latencies


def throughput(sessions, page, duration):
    """Requests per second with one thread per session, each on its own connection, for ``duration`` s."""
    done = [0] * len(sessions)
    errors = []
    deadline = time.monotonic() + duration

    def work(i, session):
        try:
            while time.monotonic() < deadline:
                session.request("GET", page.path, page.headers)
                done[i] += 1
        except Exception as error:  # noqa: BLE001  (reported, the run goes on)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(sessions)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return sum(done) / elapsed, len(errors)
