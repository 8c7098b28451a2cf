-- wrk script of the API benchmark (bench/api/run). Environment:
--   BENCH_PROJECT   the X-Tenant-Id to act in
--   BENCH_CATALOG   the X-Service-Catalog JSON (compute = the fake Nova)
--   BENCH_POST=1    POST a node group template with a unique name per request
--   BENCH_TAG       prefix of those names (unique per wrk run; names must be short
--                   valid hostnames for Sahara's schema)
-- Sends the same identity headers to both servers and prints one line
-- "JSON {...}" with the counts and latency percentiles (microseconds) at the end.
local project = os.getenv("BENCH_PROJECT") or "bench-seed"
wrk.headers["X-Auth-Token"] = "bench-token"
wrk.headers["X-User-Id"] = "bench-user"
wrk.headers["X-User-Name"] = "bench"
wrk.headers["X-Tenant-Id"] = project
wrk.headers["X-Tenant-Name"] = project
wrk.headers["X-Roles"] = "admin,member,reader"
wrk.headers["X-Service-Catalog"] = os.getenv("BENCH_CATALOG") or "[]"

local post = os.getenv("BENCH_POST") == "1"
local tag = os.getenv("BENCH_TAG") or "w"
local next_tid = 1

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

if post then
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   local n = 0
   function request()
      n = n + 1
      local body = string.format(
         '{"name":"%s-%d-%d","plugin_name":"fake","plugin_version":"0.1","flavor_id":"42",' ..
         '"node_processes":["namenode","jobtracker"]}', tag, tid, n)
      return wrk.format(nil, nil, nil, body)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, "connect_errors": %d, ' ..
      '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write,
      e.timeout, latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
