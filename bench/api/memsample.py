"""Memory of a server during the API benchmark: VmRSS and PSS (from /proc/<pid>/smaps_rollup,
shared pages split between the processes mapping them) summed over a process and all its
descendants (Python Sahara's sahara-api is a parent and a forked worker, both serving).

  memsample.py PID OUT [INTERVAL]   sample every INTERVAL s (0.5) until PID is gone or SIGTERM;
                                    OUT is rewritten after each sample with the maxima so far
  memsample.py PID --once           print one sample
"""

import json
import os
import signal
import sys
import time


def children_of(pid):
    """The children of `pid` from /proc/<pid>/task/<tid>/children (a few small reads, where scanning
    every /proc/<n>/stat costs ~1.4 ms of CPU per sample); None where the kernel lacks those files."""
    kids = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            return None
        except OSError:
            continue
    return kids


def scan_children():
    """Every process's children, from a scan of /proc/<n>/stat."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    return children


def tree(root):
    scanned = None
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        kids = children_of(p) if scanned is None else None
        if kids is None:
            scanned = scanned if scanned is not None else scan_children()
            kids = scanned.get(p, [])
        todo.extend(kids)
    return out


def kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample(root):
    pids = tree(root)
    rss = sum(kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return {"pids": sorted(pids), "rss_kb": rss, "pss_kb": pss}


def main():
    root = int(sys.argv[1])
    if sys.argv[2] == "--once":
        print(json.dumps(sample(root)))
        return
    out = sys.argv[2]
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    best = {"samples": 0, "rss_max_kb": 0, "pss_max_kb": 0, "pids": []}
    while not stop and os.path.exists(f"/proc/{root}"):
        s = sample(root)
        best["samples"] += 1
        best["rss_max_kb"] = max(best["rss_max_kb"], s["rss_kb"])
        best["pss_max_kb"] = max(best["pss_max_kb"], s["pss_kb"])
        best["pids"] = sorted(set(best["pids"]) | set(s["pids"]))
        with open(out + ".tmp", "w") as f:
            json.dump(best, f)
        os.replace(out + ".tmp", out)
        time.sleep(interval)


if __name__ == "__main__":
    main()
