"""Driver of bench/engine/run: talks to the local test cloud (Keystone, the simulator's Nova and
Neutron) and to our data-processing API as the cloud's `demo` user, with plain HTTP.

  bench.py prepare --state DIR --cidr CIDR --ctx OUT
      raises the demo project's Nova and Neutron quotas (admin), makes a network with subnet CIDR
      routed to the external network, finds the fake plugin's image; writes the context OUT
  bench.py boot --ctx CTX --n N --results F
      boots N servers at once straight through Nova (port, floating IP, server each, as the
      engine's Heat template asks), measures until the last is ACTIVE with both addresses,
      deletes them; appends {"kind": "boot"} to F
  bench.py suite --ctx CTX --api URL --config NAME --engines K --sizes "10 50" --clusters 4
                 --baseline-runs 2 --pids role=pid,... --logs role=path,... --results F
      node group and cluster templates, then: 1-instance clusters (the critical path's own
      part), one cluster of N, and C clusters sharing N, each built to Active and deleted;
      appends {"kind": "cluster_run"} per run to F
  bench.py report --results F
      the table
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

POLL = 0.25  # seconds between two GETs of a cluster being built (brief: 0.2-0.5 s)
BOOT_POLL = 0.1  # seconds between two server lists while booting straight through Nova
STATUSES = ["Validating", "InfraUpdating", "Spawning", "Waiting", "Preparing", "Configuring", "Starting",
            "Active"]


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def http(method, url, token=None, body=None, timeout=120):
    """One request; answers (status, parsed JSON or text, headers)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, raw, headers = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        code, raw, headers = e.code, e.read(), e.headers
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return code, parsed, headers


def ok(method, url, token=None, body=None, timeout=120):
    code, parsed, _ = http(method, url, token, body, timeout)
    if not 200 <= code < 300:
        raise RuntimeError(f"{method} {url}: {code} {str(parsed)[:2000]}")
    return parsed


def openrc(path):
    env = {}
    for line in open(path):
        m = re.match(r"export (\w+)='(.*)'$", line.strip())
        if m:
            env[m.group(1)] = m.group(2).replace("'\\''", "'")
    return env


class Cloud:
    """The test cloud: its description, its users' tokens (renewed every 20 minutes)."""

    def __init__(self, state):
        self.state = state
        self.info = json.load(open(os.path.join(state, "cloud.json")))
        self.sim = self.info["simulator_url"]
        self.keystone = self.info["keystone_url"]
        self.demo_project = self.info["demo_project_id"]
        self._tokens = {}
        self._lock = threading.Lock()

    def token(self, user="demo"):
        with self._lock:
            tok, at = self._tokens.get(user, (None, 0))
            if tok and time.time() - at < 1200:
                return tok
            env = openrc(os.path.join(self.state, f"openrc-{user}"))
            body = {"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
                    "domain": {"name": env["OS_USER_DOMAIN_NAME"]}}}},
                "scope": {"project": {"name": env["OS_PROJECT_NAME"],
                                      "domain": {"name": env["OS_PROJECT_DOMAIN_NAME"]}}}}}
            code, parsed, headers = http("POST", f"{self.keystone}/v3/auth/tokens", body=body)
            if code != 201:
                raise RuntimeError(f"token for {user}: {code} {parsed}")
            tok = headers["X-Subject-Token"]
            self._tokens[user] = (tok, time.time())
            return tok

    def nova(self, path):
        return f"{self.sim}/compute/v2.1/{path}"

    def neutron(self, path):
        return f"{self.sim}/network/v2.0/{path}"


def load_ctx(path):
    ctx = json.load(open(path))
    return ctx, Cloud(ctx["state"])


def append(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


# --- prepare -------------------------------------------------------------------------------

def prepare(args):
    cloud = Cloud(args.state)
    admin = cloud.token("admin")
    project = cloud.demo_project
    # Room for 100 instances (and the clusters' security groups and floating IPs): unlimited.
    ok("PUT", cloud.nova(f"os-quota-sets/{project}"), admin,
       {"quota_set": {"instances": -1, "cores": -1, "ram": -1}})
    ok("PUT", cloud.neutron(f"quotas/{project}"), admin,
       {"quota": {"floatingip": -1, "port": -1, "security_group": -1, "security_group_rule": -1}})
    demo = cloud.token("demo")
    pool = ok("GET", cloud.neutron("networks?router:external=True"), demo)["networks"][0]["id"]
    net = ok("POST", cloud.neutron("networks"), demo, {"network": {"name": "enginebench-net"}})["network"]["id"]
    subnet = ok("POST", cloud.neutron("subnets"), demo,
                {"subnet": {"name": "enginebench-subnet", "network_id": net, "ip_version": 4,
                            "cidr": args.cidr}})["subnet"]["id"]
    router = ok("POST", cloud.neutron("routers"), demo,
                {"router": {"name": "enginebench-router",
                            "external_gateway_info": {"network_id": pool}}})["router"]["id"]
    ok("PUT", cloud.neutron(f"routers/{router}/add_router_interface"), demo, {"subnet_id": subnet})
    images = ok("GET", f"{cloud.sim}/image/v2/images?name=sahara-fake-0.1", demo)["images"]
    if not images:
        raise RuntimeError("no sahara-fake-0.1 image in the cloud")
    ctx = {"state": args.state, "net": net, "subnet": subnet, "router": router, "pool": pool,
           "image": images[0]["id"], "cidr": args.cidr, "external_cidr": cloud.info["external_cidr"]}
    with open(args.ctx, "w") as f:
        json.dump(ctx, f, indent=1)
    log(f"demo's network {args.cidr} routed to the external network {cloud.info['external_cidr']}; "
        f"quotas raised; image {ctx['image']}")


# --- the cloud's own boot ------------------------------------------------------------------

def parse_utc(s):
    """A naive UTC timestamp (Nova's launched_at, with or without a fraction) as epoch seconds."""
    if not s:
        return None
    s = s.rstrip("Z")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            pass
    return None


def has_both_addresses(server):
    kinds = {a.get("OS-EXT-IPS:type") for addrs in (server.get("addresses") or {}).values() for a in addrs}
    return "fixed" in kinds and "floating" in kinds


def wait_no_servers(cloud, prefix, limit=300):
    """Until no server named prefix* is left in the demo project."""
    deadline = time.time() + limit
    while time.time() < deadline:
        servers = ok("GET", cloud.nova("servers"), cloud.token())["servers"]
        if not [s for s in servers if s["name"].startswith(prefix)]:
            return
        time.sleep(0.5)
    raise RuntimeError(f"servers {prefix}* still there after {limit} s")


def boot(args):
    ctx, cloud = load_ctx(args.ctx)
    n, tag = args.n, f"ebboot{args.n}-"
    token = cloud.token()
    made = {"servers": [], "fips": [], "ports": []}
    lock = threading.Lock()

    def one(i):
        port = ok("POST", cloud.neutron("ports"), token,
                  {"port": {"network_id": ctx["net"], "name": f"{tag}{i}"}})["port"]["id"]
        with lock:
            made["ports"].append(port)
        fip = ok("POST", cloud.neutron("floatingips"), token,
                 {"floatingip": {"floating_network_id": ctx["pool"], "port_id": port}})["floatingip"]["id"]
        with lock:
            made["fips"].append(fip)
        server = ok("POST", cloud.nova("servers"), token,
                    {"server": {"name": f"{tag}{i}", "imageRef": ctx["image"], "flavorRef": "42",
                                "networks": [{"port": port}]}})["server"]["id"]
        with lock:
            made["servers"].append(server)

    record = {"kind": "boot", "n": n}
    t0 = time.time()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(n, 32)) as ex:
            list(ex.map(one, range(n)))
        record["requests_s"] = time.time() - t0
        ready = {}
        deadline = t0 + args.timeout
        while len(ready) < n:
            if time.time() > deadline:
                raise RuntimeError(f"boot of {n}: only {len(ready)} ready after {args.timeout} s")
            now = time.time()
            servers = ok("GET", cloud.nova("servers/detail"), token)["servers"]
            for s in servers:
                if not s["name"].startswith(tag) or s["id"] in ready:
                    continue
                if s["status"] == "ERROR":
                    raise RuntimeError(f"server {s['name']} went to ERROR: {s.get('fault')}")
                if s["status"] == "ACTIVE" and has_both_addresses(s):
                    ready[s["id"]] = (now, parse_utc(s.get("OS-SRV-USG:launched_at")))
            time.sleep(BOOT_POLL)
        record["seconds"] = max(seen for seen, _ in ready.values()) - t0
        launched = [la for _, la in ready.values() if la]
        record["last_launched_s"] = max(launched) - t0 if launched else None
        record["first_ready_s"] = min(seen for seen, _ in ready.values()) - t0
        log(f"boot {n}: requests {record['requests_s']:.2f} s, last ACTIVE with both addresses "
            f"{record['seconds']:.2f} s")
    finally:
        for sid in made["servers"]:
            http("DELETE", cloud.nova(f"servers/{sid}"), token)
        for fid in made["fips"]:
            http("DELETE", cloud.neutron(f"floatingips/{fid}"), token)
        wait_no_servers(cloud, tag)
        for pid in made["ports"]:
            http("DELETE", cloud.neutron(f"ports/{pid}"), token)
    append(args.results, record)


# --- process sampling ----------------------------------------------------------------------

def proc_kb(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class Sampler(threading.Thread):
    """Peak RSS and PSS of each service process (and of their sum) every 0.5 s."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids = pids
        self.stop = threading.Event()
        self.peak = {role: {"rss_kb": 0, "pss_kb": 0} for role in pids}
        self.total = {"rss_kb": 0, "pss_kb": 0}

    def sample(self):
        rss_sum = pss_sum = 0
        for role, pid in self.pids.items():
            rss = proc_kb(f"/proc/{pid}/status", "VmRSS:")
            pss = proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
            p = self.peak[role]
            p["rss_kb"], p["pss_kb"] = max(p["rss_kb"], rss), max(p["pss_kb"], pss)
            rss_sum, pss_sum = rss_sum + rss, pss_sum + pss
        self.total["rss_kb"] = max(self.total["rss_kb"], rss_sum)
        self.total["pss_kb"] = max(self.total["pss_kb"], pss_sum)

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.5)

    def finish(self):
        self.stop.set()
        self.join()
        self.sample()
        return {"per_process": self.peak, "sum": self.total}


# --- engine logs ---------------------------------------------------------------------------

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \d+ (\w+) (\S+) ")


def log_events(logs, cluster_ids, offsets):
    """From the services' logs (read from each one's offset on): per cluster, the time of each
    status change, of the stack's completion, of 'All instances have IPs assigned' / 'are
    accessible', and which log (engine) did the work; plus the ERROR/WARN lines."""
    out = {cid: {"status": {}, "marks": {}, "logs": set()} for cid in cluster_ids}
    problems = []
    request_cluster = {}  # request id -> cluster id, learnt from the lines naming both
    for role, path in logs.items():
        try:
            f = open(path, errors="replace")
        except OSError:
            continue
        with f:
            f.seek(offsets.get(role, 0))
            for line in f:
                m = LOG_LINE.match(line)
                if not m:
                    continue
                level = m.group(2)
                if level in ("ERROR", "WARNING", "CRITICAL"):
                    problems.append(f"{role}: {line.strip()[:400]}")
                cid_m = re.search(r"cluster_id=([0-9a-f-]{36})", line)
                req_m = re.search(r"\[None (req-[0-9a-f-]{36})", line)
                cid = cid_m.group(1) if cid_m else None
                if cid and req_m:
                    request_cluster[(role, req_m.group(1))] = cid
                elif req_m:
                    cid = request_cluster.get((role, req_m.group(1)))
                if cid not in out:
                    continue
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                ev = out[cid]
                if role.startswith("engine") or role == "all":
                    ev["logs"].add(role)
                st = re.search(r"status=(\w+)", line) or re.search(r"New status=(\w+)", line)
                if "status has been changed" in line and st:
                    ev["status"].setdefault(st.group(1), t)
                elif "stack created" in line:
                    ev["marks"]["stack_created"] = t
                    sec = re.search(r"seconds=([\d.]+)", line)
                    if sec:
                        ev["marks"]["stack_seconds"] = float(sec.group(1))
                elif "All instances have IPs assigned" in line:
                    ev["marks"]["ips_assigned"] = t
                elif "All instances are accessible" in line:
                    ev["marks"]["accessible"] = t
                elif "Cannot install xfsprogs" in line:
                    ev["marks"]["xfs_checked"] = t
                elif "NTP service" in line or "NTP successfully configured" in line:
                    ev["marks"]["ntp_last"] = max(t, ev["marks"].get("ntp_last", t))
    for ev in out.values():
        ev["logs"] = sorted(ev["logs"])
    return out, problems


def problem_kind(line):
    """A WARNING/ERROR line without its time, ids and details: what to count it under."""
    m = re.match(r"(\w+): \S+ \S+ \d+ (\w+) (\S+) (?:\[[^]]*\] )?(.*)", line)
    key = f"{m.group(2)} {m.group(3)} {m.group(4)}" if m else line
    key = re.sub(r"(instance|attempt|op)=\S+", r"\1=*", key)
    return re.sub(r" (rpc\.method|rpc\.topic|msg_id|reason)=.*", "", key)[:110]


def log_offsets(logs):
    return {role: (os.path.getsize(p) if os.path.exists(p) else 0) for role, p in logs.items()}


# --- clusters ------------------------------------------------------------------------------

class Api:
    def __init__(self, url, cloud):
        self.url = url.rstrip("/")
        self.cloud = cloud

    def v2(self, path):
        return f"{self.url}/v2/{path}"

    def call(self, method, path, body=None):
        return http(method, self.v2(path), self.cloud.token(), body)

    def ok(self, method, path, body=None):
        return ok(method, self.v2(path), self.cloud.token(), body)


def templates(api, ctx, sizes):
    """Node group templates master and worker, and a cluster template per instance count."""
    ids = {}
    for ng, processes in (("master", ["namenode", "jobtracker"]), ("worker", ["datanode", "tasktracker"])):
        body = {"name": f"eb-{ng}", "plugin_name": "fake", "plugin_version": "0.1", "flavor_id": "42",
                "node_processes": processes, "auto_security_group": True, "floating_ip_pool": ctx["pool"]}
        ids[ng] = api.ok("POST", "node-group-templates", body)["node_group_template"]["id"]
    cts = {}
    for n in sorted(set(sizes)):
        groups = [{"name": "master", "node_group_template_id": ids["master"], "count": 1}]
        if n > 1:
            groups.append({"name": "worker", "node_group_template_id": ids["worker"], "count": n - 1})
        body = {"name": f"eb-ct-{n}", "plugin_name": "fake", "plugin_version": "0.1", "node_groups": groups}
        cts[n] = api.ok("POST", "cluster-templates", body)["cluster_template"]["id"]
    return cts


def split_sizes(n, clusters):
    """N instances over `clusters` clusters as evenly as can be (10 over 4: 3, 3, 2, 2)."""
    sizes = [n // clusters + (1 if i < n % clusters else 0) for i in range(clusters)]
    return [k for k in sizes if k > 0]


def step_view(steps):
    out = []
    for s in sorted(steps or [], key=lambda s: (s.get("created_at") or "", s.get("id") or "")):
        c, u = parse_utc(s.get("created_at")), parse_utc(s.get("updated_at"))
        out.append({"type": s.get("step_type"), "name": s.get("step_name"), "total": s.get("total"),
                    "successful": s.get("successful"), "created_at": s.get("created_at"),
                    "updated_at": s.get("updated_at"), "seconds_1s_resolution": (u - c) if c and u else None})
    return out


def build(api, ctx, cts, label, sizes, timeout):
    """Creates one cluster per entry of sizes at once, follows them to Active (or Error), answers the
    per-cluster timelines; the clusters are left for `delete`."""
    clusters = []
    t0 = time.time()

    def create(i_n):
        i, n = i_n
        name = f"{label}-{i}"
        body = {"name": name, "plugin_name": "fake", "plugin_version": "0.1", "cluster_template_id": cts[n],
                "default_image_id": ctx["image"], "neutron_management_network": ctx["net"]}
        sent = time.time()
        cluster = api.ok("POST", "clusters", body)["cluster"]
        return {"name": name, "n": n, "id": cluster["id"], "post": sent - t0, "posted": time.time() - t0,
                "seen": {}, "status": cluster.get("status")}

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(sizes)) as ex:
        clusters = list(ex.map(create, enumerate(sizes)))
    deadline = t0 + timeout
    pending = {c["id"]: c for c in clusters}
    while pending:
        now = time.time()
        for cid, c in list(pending.items()):
            code, body, _ = api.call("GET", f"clusters/{cid}")
            if code != 200:
                raise RuntimeError(f"GET cluster {c['name']}: {code} {body}")
            cl = body["cluster"]
            st = cl["status"]
            c["seen"].setdefault(st, time.time() - t0)
            c["status"] = st
            if st in ("Active", "Error"):
                c["description"] = cl.get("status_description")
                del pending[cid]
        if pending and now > deadline:
            raise RuntimeError(f"clusters {[c['name'] for c in pending.values()]} not Active after {timeout} s: "
                               f"{[c['status'] for c in pending.values()]}")
        if pending:
            time.sleep(POLL)
    for c in clusters:
        code, body, _ = api.call("GET", f"clusters/{c['id']}?show_progress=true")
        c["steps"] = step_view(body["cluster"].get("provision_progress")) if code == 200 else []
        c["instances"] = sum(len(ng.get("instances") or []) for ng in body["cluster"]["node_groups"]) \
            if code == 200 else None
    # The servers as Nova has them now: when each became ACTIVE.
    servers = ok("GET", api.cloud.nova("servers/detail"), api.cloud.token())["servers"]
    for c in clusters:
        launched = [parse_utc(s.get("OS-SRV-USG:launched_at")) for s in servers
                    if s["name"].startswith(c["name"] + "-")]
        launched = [x for x in launched if x]
        c["servers"] = len(launched)
        c["first_launched"] = min(launched) - t0 if launched else None
        c["last_launched"] = max(launched) - t0 if launched else None
    return t0, clusters


def delete(api, clusters, timeout):
    """Deletes the clusters and waits until they, their servers and floating IPs are gone;
    answers the seconds it took."""
    t0 = time.time()
    for c in clusters:
        code, body, _ = api.call("DELETE", f"clusters/{c['id']}")
        if code not in (204, 404):
            raise RuntimeError(f"DELETE cluster {c['name']}: {code} {body}")
    pending = {c["id"] for c in clusters}
    deadline = t0 + timeout
    while pending:
        for cid in list(pending):
            code, body, _ = api.call("GET", f"clusters/{cid}")
            if code == 404:
                pending.discard(cid)
        if pending:
            if time.time() > deadline:
                raise RuntimeError(f"clusters {sorted(pending)} not deleted after {timeout} s")
            time.sleep(0.5)
    gone = time.time() - t0
    for c in clusters:
        wait_no_servers(api.cloud, c["name"] + "-", limit=120)
    deadline = time.time() + 120
    while ok("GET", api.cloud.neutron("floatingips"), api.cloud.token())["floatingips"]:
        if time.time() > deadline:
            raise RuntimeError("floating IPs left after the clusters were deleted")
        time.sleep(0.5)
    return gone


def run_case(args, api, ctx, cts, kind, n, sizes, label):
    pids = dict(p.split("=", 1) for p in args.pids.split(",")) if args.pids else {}
    pids = {k: int(v) for k, v in pids.items()}
    logs = dict(p.split("=", 1) for p in args.logs.split(",")) if args.logs else {}
    offsets = log_offsets(logs)
    cpu0 = {role: cpu_seconds(pid) for role, pid in pids.items()}
    sampler = Sampler(pids)
    sampler.start()
    log(f"{args.config}: {kind} N={n} as {len(sizes)} cluster(s) {sizes}")
    error = None
    try:
        t0, clusters = build(api, ctx, cts, label, sizes, args.timeout)
    except Exception as e:  # recorded, then the clusters made so far are deleted below
        error, t0, clusters = str(e), time.time(), []
    memory = sampler.finish()
    cpu = {role: cpu_seconds(pid) - cpu0[role] for role, pid in pids.items()}
    events, problems = log_events(logs, [c["id"] for c in clusters], offsets)
    for c in clusters:
        ev = events.get(c["id"], {})
        c["log_status"] = {k: v - t0 for k, v in ev.get("status", {}).items()}
        c["log_marks"] = {k: (v - t0 if k != "stack_seconds" else v) for k, v in ev.get("marks", {}).items()}
        c["engine_logs"] = ev.get("logs", [])
    kinds = {}
    for p in problems:
        kinds[problem_kind(p)] = kinds.get(problem_kind(p), 0) + 1
    failed = [c for c in clusters if c["status"] != "Active"]
    if failed and not error:
        error = "; ".join(f"{c['name']}: {c['status']} {c.get('description') or ''}" for c in failed)
    active_s = max((c["seen"].get("Active", 0) for c in clusters), default=None)
    record = {"kind": "cluster_run", "config": args.config, "engines": args.engines, "case": kind, "n": n,
              "clusters": len(sizes), "sizes": sizes, "active_s": None if error else active_s, "error": error,
              "cluster_detail": clusters, "cpu_s": cpu, "memory": memory, "log_problems": problems[:50],
              "log_problem_count": len(problems), "log_problem_kinds": kinds, "load_avg": open("/proc/loadavg").read().split()[:3]}
    try:
        record["delete_s"] = delete(api, clusters, args.timeout) if clusters else None
    except Exception as e:
        record["delete_error"] = str(e)
        error = error or str(e)
    append(args.results, record)
    engines_used = sorted({e for c in clusters for e in c["engine_logs"]})
    if error:
        log(f"{args.config}: {kind} N={n}: FAILED: {error}")
    else:
        log(f"{args.config}: {kind} N={n}: Active after {active_s:.2f} s (engines {engines_used}), "
            f"deleted in {record.get('delete_s') or 0:.1f} s, {len(problems)} warning/error log lines")
    return error is None


def suite(args):
    ctx, cloud = load_ctx(args.ctx)
    api = Api(args.api, cloud)
    sizes = [int(s) for s in args.sizes.split()]
    needed = {1} | set(sizes)
    for n in sizes:
        needed |= set(split_sizes(n, args.clusters))
    cts = templates(api, ctx, needed)
    good = True
    tag = args.config.replace("_", "")[:6]
    for i in range(args.baseline_runs):
        good &= run_case(args, api, ctx, cts, "one", 1, [1], f"{tag}o{i}")
    for n in sizes:
        good &= run_case(args, api, ctx, cts, "single", n, [n], f"{tag}s{n}")
        if args.clusters > 1:
            good &= run_case(args, api, ctx, cts, "split", n, split_sizes(n, args.clusters), f"{tag}m{n}")
    sys.exit(0 if good else 1)


# --- report --------------------------------------------------------------------------------

def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def fmt(x, w=6, d=1):
    return f"{x:{w}.{d}f}" if isinstance(x, (int, float)) else f"{'-':>{w}}"


def phases(c):
    """Phase lengths of one cluster from the engine's log (precise to the millisecond): POST to
    Spawning, Spawning to Waiting (the Heat stack), Waiting to Preparing (addresses and SSH),
    Preparing to Configuring (/etc/hosts, hostname, NTP), Configuring to Active (the plugin)."""
    s = dict(c.get("log_status") or {})
    active = c["seen"].get("Active")
    s.setdefault("Active", active)

    def d(a, b):
        return s[b] - s[a] if s.get(a) is not None and s.get(b) is not None else None

    pre = s["Spawning"] - c["post"] if s.get("Spawning") is not None else None
    xfs = (c.get("log_marks") or {}).get("xfs_checked")
    if xfs is not None and s.get("Preparing") is not None and s.get("Configuring") is not None:
        xfs_s, hosts = xfs - s["Preparing"], s["Configuring"] - xfs
    else:
        xfs_s, hosts = None, d("Preparing", "Configuring")
    return {"pre": pre, "stack": d("Spawning", "Waiting"), "ips_ssh": d("Waiting", "Preparing"), "xfs": xfs_s,
            "hosts": hosts, "plugin": d("Configuring", "Active")}


def boot_in_run(r):
    """The cloud's boot in a build: for each cluster, from its Spawning (the engine's log; the poll's
    when missing) to the last of its servers becoming ACTIVE in Nova (launched_at); the slowest."""
    out = None
    for c in r["cluster_detail"]:
        spawn = (c.get("log_status") or {}).get("Spawning", c["seen"].get("Spawning"))
        if spawn is None or c.get("last_launched") is None:
            continue
        out = max(out or 0, c["last_launched"] - spawn)
    return out


def report(args):
    recs = [json.loads(line) for line in open(args.results) if line.strip()]
    boots = {}
    for r in recs:
        if r["kind"] == "boot":
            boots.setdefault(r["n"], []).append(r["seconds"])
    boot = {n: median(v) for n, v in boots.items()}
    runs = [r for r in recs if r["kind"] == "cluster_run"]
    configs = []
    for r in runs:
        if (r["config"], r["engines"]) not in configs:
            configs.append((r["config"], r["engines"]))
    t1, own1, boot1 = {}, {}, {}
    for cfg in configs:
        ones = [r for r in runs if (r["config"], r["engines"]) == cfg and r["case"] == "one" and r["active_s"]]
        t1[cfg] = median([r["active_s"] for r in ones])
        boot1[cfg] = median([boot_in_run(r) for r in ones])
        own1[cfg] = median([r["active_s"] - boot_in_run(r) for r in ones if boot_in_run(r) is not None])
    print()
    if boot:
        print("For reference, N servers booted at once straight through Nova's and Neutron's REST APIs (port, "
              "floating IP, server each), until the last is ACTIVE")
        print("with both addresses (the builds' servers are made by the simulated Heat inside the cloud, without "
              "these HTTP round trips):")
        print("  " + "   ".join(f"N={n}: {fmt(boot[n], 0, 2)} s" for n in sorted(boot)))
    print("One-instance builds (median of the runs): T1 = POST to Active, boot = Spawning to its server ACTIVE, "
          "own = T1 - boot:")
    print("  " + "   ".join(f"{cfg[0]}: T1 {fmt(t1[cfg], 0, 2)} s, boot {fmt(boot1[cfg], 0, 2)} s, own "
                            f"{fmt(own1[cfg], 0, 2)} s" for cfg in configs))
    print()
    print("Critical path CP = own + boot: the one-instance build of the same configuration (everything one "
          "instance needs, serially) plus the slowest boot of")
    print("the build itself (per cluster: Spawning to the last of its servers ACTIVE in Nova; the slowest "
          "cluster). ratio = seconds to Active / CP.")
    print("Phases, from the services' logs, of the last cluster to be Active: pre = POST..Spawning (API, image, "
          "trust), stack = Spawning..Waiting (Heat: boot, wait")
    print("conditions, 1 s polls), ips+ssh = Waiting..Preparing (addresses, SSH reachable), xfs = Preparing..the "
          "failed xfsprogs install (serial, first instance),")
    print("hosts = the rest of Preparing..Configuring (disks, /etc/hosts, hostname, NTP), plugin = "
          "Configuring..Active. CPU = CPU seconds of the Sahara")
    print("processes during the build; RSS/PSS = peak of their sum.")
    print()
    head = (f"{'N':>4} {'config':>10} {'eng':>3} {'clusters':>8} {'Active s':>8} {'CP s':>6} {'ratio':>5} | "
            f"{'pre':>5} {'stack':>6} {'ips+ssh':>7} {'xfs':>5} {'hosts':>6} {'plugin':>6} {'boot':>6} | "
            f"{'CPU s':>6} {'RSS MB':>6} {'PSS MB':>6} {'engines used':>12}")
    print(head)
    print("-" * len(head))
    key = {"one": 0, "single": 1, "split": 2}
    for r in sorted(runs, key=lambda r: (r["n"], key[r["case"]], configs.index((r["config"], r["engines"])))):
        cfg = (r["config"], r["engines"])
        boot_run = boot_in_run(r)
        cp = own1[cfg] + boot_run if own1.get(cfg) is not None and boot_run is not None else None
        cl = r["cluster_detail"]
        last = max(cl, key=lambda c: c["seen"].get("Active", 0)) if cl else None
        ph = phases(last) if last else {}
        used = sorted({e for c in cl for e in c.get("engine_logs", [])})
        eng_used = f"{len(used)}/{r['engines']}"
        mem = r["memory"]["sum"]
        active = r["active_s"]
        ratio = active / cp if active and cp else None
        clusters = f"{r['clusters']}" if r["clusters"] == 1 else f"{r['clusters']}x{max(r['sizes'])}"
        print(f"{r['n']:>4} {r['config']:>10} {r['engines']:>3} {clusters:>8} {fmt(active, 8, 2)} {fmt(cp, 6, 2)} "
              f"{fmt(ratio, 5, 2)} | {fmt(ph.get('pre'), 5)} {fmt(ph.get('stack'), 6)} {fmt(ph.get('ips_ssh'), 7)} "
              f"{fmt(ph.get('xfs'), 5)} {fmt(ph.get('hosts'), 6)} {fmt(ph.get('plugin'), 6)} {fmt(boot_run, 6)} | "
              f"{fmt(sum(r['cpu_s'].values()), 6)} {fmt(mem['rss_kb'] / 1024, 6, 0)} {fmt(mem['pss_kb'] / 1024, 6, 0)} "
              f"{eng_used:>12}" + (f"  FAILED: {r['error'][:200]}" if r.get("error") else ""))
    print()
    print("Peak memory per process over all runs (RSS / PSS MB):")
    for cfg in configs:
        peaks = {}
        for r in runs:
            if (r["config"], r["engines"]) != cfg:
                continue
            for role, m in r["memory"]["per_process"].items():
                old = peaks.get(role, (0, 0))
                peaks[role] = (max(old[0], m["rss_kb"]), max(old[1], m["pss_kb"]))
        print(f"  {cfg[0]}: " + ", ".join(f"{role} {rss / 1024:.0f} / {pss / 1024:.0f}"
                                          for role, (rss, pss) in peaks.items()))
    probs = sum(r.get("log_problem_count", 0) for r in runs)
    print()
    print(f"{len(runs)} cluster runs, {sum(1 for r in runs if r.get('error'))} failed; {probs} WARNING/ERROR lines "
          f"in the services' logs during the runs, by kind:")
    kinds = {}
    for r in runs:
        per_run = r.get("log_problem_kinds")
        if per_run is None:  # older records: only the first 50 lines
            per_run = {}
            for p in r.get("log_problems", []):
                per_run[problem_kind(p)] = per_run.get(problem_kind(p), 0) + 1
        for key, count in per_run.items():
            kinds[key] = kinds.get(key, 0) + count
    for key, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5} x {key}")
    if any(r.get("error") for r in runs):
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--state", required=True)
    a.add_argument("--cidr", required=True)
    a.add_argument("--ctx", required=True)
    a = sub.add_parser("boot")
    a.add_argument("--ctx", required=True)
    a.add_argument("--n", type=int, required=True)
    a.add_argument("--results", required=True)
    a.add_argument("--timeout", type=float, default=600)
    a = sub.add_parser("suite")
    a.add_argument("--ctx", required=True)
    a.add_argument("--api", required=True)
    a.add_argument("--config", required=True)
    a.add_argument("--engines", type=int, required=True)
    a.add_argument("--sizes", required=True)
    a.add_argument("--clusters", type=int, default=4)
    a.add_argument("--baseline-runs", type=int, default=2)
    a.add_argument("--pids", default="")
    a.add_argument("--logs", default="")
    a.add_argument("--results", required=True)
    a.add_argument("--timeout", type=float, default=600)
    a = sub.add_parser("report")
    a.add_argument("--results", required=True)
    args = p.parse_args()
    {"prepare": prepare, "boot": boot, "suite": suite, "report": report}[args.cmd](args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
