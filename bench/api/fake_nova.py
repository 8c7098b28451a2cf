"""A tiny fake Nova for the API benchmark: both servers' node-group-template creates check the
flavor with `GET <compute>/flavors/detail`, and both are pointed at this one process.

Written on asyncio streams with canned answers (HTTP/1.1 keep-alive), so that it answers in
well under a millisecond and stays out of the way of the faster server under test:
  GET .../flavors/detail  -> flavors "1", "2", "42"
  GET .../flavors/<id>    -> that flavor or 404
  GET / or /v2.1          -> a version document
  GET /_count             -> {"flavor_lists": N}: how many flavor lists it has answered
  anything else           -> 404
Prints {"ready": true, "port": N} once listening; stops on SIGTERM/SIGINT.
Usage: python3 fake_nova.py PORT
"""

import asyncio
import json
import signal
import sys

FLAVORS = [
    {"id": fid, "name": name, "ram": ram, "vcpus": vcpus, "disk": disk, "swap": "",
     "OS-FLV-EXT-DATA:ephemeral": 0, "os-flavor-access:is_public": True, "rxtx_factor": 1.0,
     "OS-FLV-DISABLED:disabled": False, "links": []}
    for fid, name, ram, vcpus, disk in [("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 1, 20),
                                        ("42", "m1.nano", 128, 1, 0)]
]
VERSION = {"version": {"id": "v2.1", "status": "CURRENT", "version": "2.79", "min_version": "2.1",
                       "links": [], "media-types": []}}


def answer(status, body):
    data = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nX-Openstack-Nova-Api-Version: 2.1\r\n\r\n").encode() + data


DETAIL = answer(200, {"flavors": FLAVORS})
BY_ID = {f["id"]: answer(200, {"flavor": f}) for f in FLAVORS}
VERSIONS = answer(200, VERSION)
NOT_FOUND = answer(404, {"itemNotFound": {"code": 404, "message": "not found"}})
COUNT = {"requests": 0, "flavor_lists": 0}


def route(method, path):
    path = path.split("?", 1)[0].rstrip("/")
    if method != "GET":
        return NOT_FOUND
    if path.endswith("/flavors/detail") or path.endswith("/flavors"):
        COUNT["flavor_lists"] += 1
        return DETAIL
    if path == "/_count":
        return answer(200, {"flavor_lists": COUNT["flavor_lists"]})
    if "/flavors/" in path:
        return BY_ID.get(path.rsplit("/", 1)[1], NOT_FOUND)
    if path in ("", "/v2.1", "/v2"):
        return VERSIONS
    return NOT_FOUND


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            COUNT["requests"] += 1
            writer.write(route(method, path))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    except asyncio.CancelledError:   # stopping with connections still open
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    print(json.dumps({"ready": True, "port": port}), flush=True)
    async with server:
        await stop
    print(json.dumps({"stopped": True, "requests": COUNT["requests"]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
