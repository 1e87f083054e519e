#!/usr/bin/env python3
"""A fastgo cell through a running Jupyter server's REST and websocket API.

    python3 scripts/jupyter_api_check.py URL TOKEN

URL is the server (http://127.0.0.1:8888), TOKEN its token. Checks, as a
browser would meet them: the default kernel for new notebooks is fastgo;
the notebook list holds the chapter's notebooks and no folder (no Go tool
folders); a kernel started without a name is fastgo; a cell that imports
fastgo, sent over the kernel's websocket channel, prints what fastgo's code
computes; the kernel stops. Prints one line per check and exits 1 on the
first failure. make docker-check runs it in the notebook image (Debian's
python3-tornado, a Jupyter dependency, has the websocket client) on the
host's network, against the port the README's `docker run` publishes.
"""

import asyncio
import json
import sys
import time
import urllib.request
import uuid

from tornado import httpclient, ioloop, websocket

CELL = """import "github.com/fastgo-ml/fastgo/fastgo"

%%
fmt.Println("fastgo cell:", fastgo.Path("/data").Join("images"))
"""
WANT = "fastgo cell: Path('/data/images')"
CHAPTER = {"01_data.ipynb", "05_pet_breeds.ipynb"}


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def api(base, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "token " + token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return r.status, json.loads(raw) if raw else None


def message(session, msg_type, content):
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
                   "username": "fastgo-check", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
    }


async def run_cell(base, token, kernel_id, code, timeout):
    """Sends code as an execute_request; returns (stdout, errors, reply status)."""
    session = uuid.uuid4().hex
    url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels?session_id={session}"
    req = httpclient.HTTPRequest(url, headers={"Authorization": "token " + token}, request_timeout=30)
    conn = await websocket.websocket_connect(req)
    msg = message(session, "execute_request", {"code": code, "silent": False, "store_history": True,
                                                "user_expressions": {}, "allow_stdin": False,
                                                "stop_on_error": True})
    conn.write_message(json.dumps(msg))
    msg_id = msg["header"]["msg_id"]
    out, errors, status, idle = [], [], None, False
    deadline = time.monotonic() + timeout
    while status is None or not idle:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer in {timeout} s (stdout so far {''.join(out)!r})")
        raw = await asyncio.wait_for(conn.read_message(), left)
        if raw is None:
            raise ConnectionError("the kernel's websocket closed")
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = m["header"]["msg_type"], m["content"]
        if kind == "stream":
            out.append(content.get("text", ""))
        elif kind == "error":
            errors.append(f"{content.get('ename')}: {content.get('evalue')}")
        elif kind == "execute_reply":
            status = content.get("status")
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
    conn.close()
    return "".join(out), errors, status


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]

    _, specs = api(base, token, "GET", "/api/kernelspecs")
    if specs.get("default") != "fastgo" or "fastgo" not in specs.get("kernelspecs", {}):
        fail(f"kernelspecs: default {specs.get('default')!r} of {sorted(specs.get('kernelspecs', {}))}, want fastgo")
    print(f"ok   kernelspecs: default fastgo ({specs['kernelspecs']['fastgo']['spec']['display_name']}) of {sorted(specs['kernelspecs'])}")

    _, root = api(base, token, "GET", "/api/contents")
    names = {c["name"]: c["type"] for c in root["content"]}
    folders = sorted(n for n, t in names.items() if t == "directory")
    if folders or not CHAPTER <= names.keys():
        fail(f"notebook list {sorted(names)}: want the chapter's notebooks {sorted(CHAPTER)} and no folder (got {folders})")
    print(f"ok   notebook list: {sorted(names)}")

    _, kernel = api(base, token, "POST", "/api/kernels", {})
    if kernel["name"] != "fastgo":
        fail(f"a kernel started without a name is {kernel['name']!r}, want fastgo")
    t0 = time.monotonic()
    try:
        out, errors, status = ioloop.IOLoop.current().run_sync(
            lambda: run_cell(base, token, kernel["id"], CELL, 300))
    except Exception as e:  # noqa: BLE001 — any failure is the check's answer
        fail(f"cell: {e}")
    took = time.monotonic() - t0
    if status != "ok" or errors or WANT not in out:
        fail(f"cell: status {status}, errors {errors}, stdout {out!r}; want {WANT!r}")
    print(f"ok   cell on kernel {kernel['name']} answered in {took:.1f} s: {out.strip()!r}")

    code, _ = api(base, token, "DELETE", f"/api/kernels/{kernel['id']}")
    _, left = api(base, token, "GET", "/api/kernels")
    if code != 204 or left:
        fail(f"kernel shutdown: status {code}, kernels left {left}")
    print("ok   kernel stopped (DELETE /api/kernels/ID: 204, none left)")


if __name__ == "__main__":
    main()
