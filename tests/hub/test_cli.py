"""`vw-hub` as a process: init (idempotent, TLS), add-user, enroll-code, serve and stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
from cryptography import x509

from shared.hubclient import make_ssl_context

WAIT = 30.0


async def vw_hub(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VW_HUB")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backoffice_console.hub",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), WAIT)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _sans(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return ips | set(san.get_values_for_type(x509.DNSName))


async def test_init_is_idempotent_and_keeps_the_ca(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    rc, _, err = await vw_hub("init", "--dir", str(home), "--hostname", "hub.example")
    assert rc == 0, err
    tls = home / "tls"
    assert {p.name for p in tls.iterdir()} == {"ca.pem", "ca.key", "server.pem", "server.key"}
    assert (tls / "ca.key").stat().st_mode & 0o077 == 0
    assert _sans(tls / "server.pem") >= {"localhost", "127.0.0.1", "::1", "hub.example"}
    ca_before = (tls / "ca.pem").read_bytes()
    server_before = (tls / "server.pem").read_bytes()
    assert (home / "hub.sqlite3").exists()

    rc, _, err = await vw_hub("init", "--dir", str(home))
    assert rc == 0, err
    assert (tls / "ca.pem").read_bytes() == ca_before
    assert (tls / "server.pem").read_bytes() == server_before
    # A new hostname re-issues the server certificate from the same CA.
    rc, _, err = await vw_hub("init", "--dir", str(home), "--hostname", "hub2.example")
    assert rc == 0, err
    assert (tls / "ca.pem").read_bytes() == ca_before
    assert {"hub.example", "hub2.example"} <= _sans(tls / "server.pem")


async def test_serve_until_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    assert (await vw_hub("init", "--dir", str(home)))[0] == 0
    config = str(home / "hub.toml")
    rc, out, err = await vw_hub(
        "--config", config, "add-user", "--username", "wang", "--display-name", "王芳",
        "--role", "officer", "--password-stdin", stdin=b"long enough password\n",
    )  # fmt: skip
    assert rc == 0, err
    rc, out, err = await vw_hub(
        "--config", config, "enroll-code", "--point", "某某社区居委会", "--kiosk-name", "K1"
    )
    assert rc == 0, err
    code = out.strip()
    assert len(code) == 9 and code[4] == "-"
    rc, _, err = await vw_hub("--config", str(tmp_path / "missing.toml"), "serve")
    assert rc == 2 and "does not exist" in err

    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backoffice_console.hub", "--config", config,
            "serve", "--port", "0",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), WAIT)).decode().strip()
            assert line.startswith("listening on https://127.0.0.1:"), line
            url = line.removeprefix("listening on ")
            ssl = make_ssl_context(home / "tls" / "ca.pem")
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl)) as http:
                async with http.get(f"{url}/api/v1/health") as resp:
                    assert resp.status == 200
                login = {"username": "wang", "password": "long enough password"}
                async with http.post(f"{url}/api/v1/auth/login", json=login) as resp:
                    assert resp.status == 200
                    token = (await resp.json())["token"]
                ws = await http.ws_connect(
                    f"{url.replace('https', 'wss')}/ws",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert (await ws.receive(timeout=WAIT)).json()["type"] == "welcome"
                proc.send_signal(sig)
                # The hub closes open websockets with "going away" before exiting.
                closing = await ws.receive(timeout=WAIT)
                while closing.type == aiohttp.WSMsgType.TEXT:
                    closing = await ws.receive(timeout=WAIT)
                assert closing.type == aiohttp.WSMsgType.CLOSE
                assert closing.data == aiohttp.WSCloseCode.GOING_AWAY
                await ws.close()
            assert await asyncio.wait_for(proc.wait(), WAIT) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    log = (home / "log" / "hub.log").read_text(encoding="utf-8")
    assert "long enough password" not in log and token not in log
