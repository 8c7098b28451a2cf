//! Robustness of the conductor against what production throws at it:
//!
//! - a lost database connection (a private MariaDB killed and restarted under load, a
//!   connection cut right after the server committed) is retried as oslo.db's
//!   `wrap_db_retry` does (`[database] db_max_retries`, `db_retry_interval`,
//!   `db_inc_retry_interval`, `db_max_retry_interval`), and no acknowledged write is lost
//!   or written twice; deadlocks are retried too;
//! - concurrent creates of one name over RPC: one success, the rest `DBDuplicateEntry`;
//! - malformed, unknown and garbage RPC requests are answered or dropped, never fatal;
//! - no secret (passwords, keys, tokens, trust ids, the database password) in any log line.

mod common;

use common::ctx;
use common::private_mariadb::PrivateMariaDb;
use diesel::result::DatabaseErrorKind;
use sahara_conductor::store::sql::{Param, Sql};
use sahara_conductor::store::{CallRetry, Store};
use sahara_conductor::{Conductor, ConductorError, ConductorSettings, rpc};
use sahara_rpc::testing::{amqp_uri, cleaned_up, rabbit_url};
use sahara_rpc::{RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions};
use sahara_schema::migrate::{Target as MigrationTarget, upgrade};
use sahara_schema::{AsyncMysql, DbConnection, DbUrl, PoolOptions, SessionOptions, build_pool, establish};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Obj = Map<String, Value>;

fn obj(v: Value) -> Obj {
    v.as_object().unwrap().clone()
}

fn ngt(name: &str) -> Obj {
    obj(
        json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "42",
               "node_processes": ["namenode", "datanode"]}),
    )
}

/// A retry policy for tests: oslo.db's shape (doubling pauses up to a ceiling), scaled down.
fn test_retry() -> CallRetry {
    CallRetry {
        max_retries: Some(30),
        interval: Duration::from_millis(200),
        increase: true,
        max_interval: Duration::from_secs(1),
    }
}

/// Migrates the database at `url` (oslo form) to head over a direct connection.
fn migrate(url: &str) {
    let mut conn = establish(&DbUrl::parse(url).unwrap(), &SessionOptions::default()).unwrap();
    upgrade(&mut conn, &MigrationTarget::Head).unwrap();
}

/// A conductor on `url` with `retry`, its pools as `[database]` builds them by default (single statements on the
/// asynchronous driver).
fn conductor_on(url: &str, retry: CallRetry) -> Conductor {
    let parsed = DbUrl::parse(url).unwrap();
    let (session, options) = (SessionOptions::default(), PoolOptions::default());
    let pool = build_pool(&parsed, &session, &options).unwrap();
    let store = Store::new(pool, parsed.backend(), retry)
        .with_async_mysql(AsyncMysql::new(&parsed, &session, &options).unwrap());
    assert!(store.uses_async_mysql());
    Conductor::new(store, ConductorSettings::default())
}

/// A direct connection for checking what the database holds.
fn check_conn(url: &str) -> DbConnection {
    establish(&DbUrl::parse(url).unwrap(), &SessionOptions::default()).unwrap()
}

/// `SELECT COUNT(*) FROM table WHERE col = val`.
fn count(conn: &mut DbConnection, table: &str, col: &str, val: &str) -> i64 {
    let mut q = Sql::new(format!("SELECT COUNT(*) AS `n` FROM `{table}` WHERE `{col}` = "));
    q.bind(Param::Text(Some(val.to_string())));
    q.load_count(conn).unwrap()
}

/// One column of every row of `table` (as strings).
fn column(conn: &mut DbConnection, table: &str, col: &str) -> Vec<String> {
    Sql::new(format!("SELECT CAST(`{col}` AS CHAR) AS `v` FROM `{table}`"))
        .load_strings(conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect()
}

fn id_of(o: &Obj) -> String {
    o["id"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------
// 1. Lost connections and deadlocks
// ---------------------------------------------------------------------------------------

/// What one writer call did.
#[derive(Debug, Clone)]
struct Write {
    kind: &'static str,
    marker: String,
    started: Instant,
    finished: Instant,
    outcome: Result<String, String>,
}

/// Polls `f` every 20 ms until it holds or `secs` pass.
async fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How long after the server was back until the first write and until every writer
/// had written again.
fn recovery(writes: &[Write], writers: usize, up: Instant) -> Option<(Duration, Duration)> {
    let mut first_per_writer: HashMap<String, Instant> = HashMap::new();
    for w in writes.iter().filter(|w| w.outcome.is_ok() && w.finished > up) {
        let writer = w.marker.rsplit_once('-').unwrap().0.to_string();
        let e = first_per_writer.entry(writer).or_insert(w.finished);
        *e = (*e).min(w.finished);
    }
    if first_per_writer.len() < writers {
        return None;
    }
    let first = first_per_writer.values().min()?.duration_since(up);
    let all = first_per_writer.values().max()?.duration_since(up);
    Some((first, all))
}

/// MariaDB is SIGKILLed under load, restarted, then shut down cleanly and restarted:
/// writers (node group templates, data sources, cluster events) and readers keep going;
/// every acknowledged create is in the database exactly once, none failed, and the
/// conductor serves afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_killed_and_restarted_under_load_loses_no_acknowledged_write() {
    let mut db = PrivateMariaDb::start();
    db.create_database("sahara", None);
    let url = db.oslo_url("sahara");
    migrate(&url);
    let c = Arc::new(conductor_on(&url, test_retry()));
    let me = ctx("robust");
    let cluster = c
        .cluster_create(
            &me,
            obj(json!({"name": "c", "plugin_name": "fake", "hadoop_version": "0.1"})),
        )
        .await
        .unwrap();
    let step = c
        .cluster_provision_step_add(
            &me,
            &id_of(&cluster),
            obj(json!({"step_name": "load", "step_type": "t", "total": 1000})),
        )
        .await
        .unwrap();

    const WRITERS: usize = 6;
    let stop = Arc::new(AtomicBool::new(false));
    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let read_errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let reads = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (c, stop, writes, me, step) = (c.clone(), stop.clone(), writes.clone(), me.clone(), step.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let (kind, marker, outcome) = match w % 3 {
                    0 => {
                        let marker = format!("ngt{w}-{n}");
                        let r = c.node_group_template_create(&me, ngt(&marker)).await.map(|o| id_of(&o));
                        ("ngt", marker, r)
                    }
                    1 => {
                        let marker = format!("ds{w}-{n}");
                        let v = obj(json!({"name": marker, "type": "swift", "url": "swift://c/o"}));
                        let r = c.data_source_create(&me, v).await.map(|o| id_of(&o));
                        ("ds", marker, r)
                    }
                    _ => {
                        let marker = format!("ev{w}-{n}");
                        let v = obj(json!({"event_info": marker, "successful": true, "instance_name": "i"}));
                        let r = c.cluster_event_add(&me, &step, v).await;
                        ("ev", marker, r)
                    }
                };
                writes.lock().unwrap().push(Write {
                    kind,
                    marker,
                    started,
                    finished: Instant::now(),
                    outcome: outcome.map_err(|e| format!("{e:?}")),
                });
                n += 1;
            }
        }));
    }
    for r in 0..2 {
        let (c, stop, errors, reads, me) = (c.clone(), stop.clone(), read_errors.clone(), reads.clone(), me.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let page = if r == 0 {
                    c.node_group_template_get_all(&me, false, obj(json!({"limit": 20})))
                        .await
                } else {
                    c.data_source_get_all(&me, false, Map::new()).await
                };
                match page {
                    Ok(_) => reads.fetch_add(1, Ordering::SeqCst),
                    Err(e) => {
                        errors.lock().unwrap().push(format!("{e:?}"));
                        0
                    }
                };
            }
        }));
    }
    let oks = |writes: &Mutex<Vec<Write>>| writes.lock().unwrap().iter().filter(|w| w.outcome.is_ok()).count();
    eventually(20, "writers under way", || oks(&writes) >= 30).await;

    // A crash: SIGKILL, two seconds down, restart on the same data directory and port.
    let killed = Instant::now();
    tokio::task::block_in_place(|| db.kill());
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| db.start_again());
    let up_after_kill = Instant::now();
    eventually(30, "every writer writes again after the crash", || {
        recovery(&writes.lock().unwrap(), WRITERS, up_after_kill).is_some()
    })
    .await;
    let after_kill = recovery(&writes.lock().unwrap(), WRITERS, up_after_kill).unwrap();
    let in_flight_over_crash = writes
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.started < killed && w.finished > up_after_kill && w.outcome.is_ok())
        .count();

    // A clean shutdown (SIGTERM) and an immediate restart.
    let before_term = oks(&writes);
    tokio::task::block_in_place(|| db.terminate());
    tokio::task::block_in_place(|| db.start_again());
    let up_after_term = Instant::now();
    eventually(30, "every writer writes again after the clean restart", || {
        recovery(&writes.lock().unwrap(), WRITERS, up_after_term).is_some()
    })
    .await;
    let after_term = recovery(&writes.lock().unwrap(), WRITERS, up_after_term).unwrap();
    eventually(20, "more writes after the restarts", || {
        oks(&writes) >= before_term + 30
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("no writer or reader panicked");
    }
    eprintln!(
        "recovery after SIGKILL + 2 s down: first write {:?}, all {WRITERS} writers {:?} after the server was back \
         ({in_flight_over_crash} calls in flight across the crash completed); after SIGTERM + restart: first {:?}, all {:?}",
        after_kill.0, after_kill.1, after_term.0, after_term.1
    );

    let writes = writes.lock().unwrap().clone();
    let failed: Vec<&Write> = writes.iter().filter(|w| w.outcome.is_err()).collect();
    assert!(
        failed.is_empty(),
        "no create may fail while retries remain: {} of {} failed, e.g. {:?}",
        failed.len(),
        writes.len(),
        failed.first()
    );
    assert!(
        in_flight_over_crash > 0,
        "some calls were in flight across the crash and were retried"
    );
    assert!(
        read_errors.lock().unwrap().is_empty(),
        "{:?}",
        read_errors.lock().unwrap()
    );
    assert!(reads.load(Ordering::SeqCst) > 0);

    // Every acknowledged create is there exactly once, and nothing else is.
    let mut conn = check_conn(&url);
    for (kind, table, col) in [
        ("ngt", "node_group_templates", "name"),
        ("ds", "data_sources", "name"),
        ("ev", "cluster_events", "event_info"),
    ] {
        let acked: Vec<&Write> = writes.iter().filter(|w| w.kind == kind).collect();
        let mut stored: HashMap<String, usize> = HashMap::new();
        for m in column(&mut conn, table, col) {
            *stored.entry(m).or_default() += 1;
        }
        let ids: HashSet<String> = column(&mut conn, table, "id").into_iter().collect();
        for w in &acked {
            assert_eq!(
                stored.get(&w.marker).copied().unwrap_or(0),
                1,
                "{kind} {} acknowledged once, stored once",
                w.marker
            );
            assert!(
                ids.contains(w.outcome.as_ref().unwrap()),
                "{kind} {} has the id returned",
                w.marker
            );
        }
        assert_eq!(
            stored.values().sum::<usize>(),
            acked.len(),
            "{kind}: no row that was not acknowledged"
        );
        assert!(!acked.is_empty());
    }

    // The conductor keeps serving.
    let last = c.node_group_template_create(&me, ngt("after")).await.unwrap();
    assert!(c.node_group_template_get(&me, &id_of(&last)).await.unwrap().is_some());
    drop(db);
}

/// A TCP relay to MariaDB that, when armed, forwards a `COMMIT` to the server and cuts the
/// connection as soon as the server answers, before the client hears the answer: the
/// transaction is committed but the conductor sees a lost connection. Armed for writes
/// instead, it does the same to the first statement the server answers as having changed
/// rows (an insert on its own, which commits by itself).
mod commit_cutter {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// What is armed: commits and lone writes still to cut, and how many were cut.
    #[derive(Default)]
    struct Counters {
        commits: AtomicU32,
        writes: AtomicU32,
        cut: AtomicU32,
    }

    /// The relay.
    pub struct CommitCutter {
        pub port: u16,
        counters: Arc<Counters>,
        task: tokio::task::JoinHandle<()>,
    }

    impl CommitCutter {
        pub async fn start(upstream: String) -> CommitCutter {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let counters = Arc::new(Counters::default());
            let c = counters.clone();
            let task = tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(relay(client, upstream.clone(), c.clone()));
                }
            });
            CommitCutter { port, counters, task }
        }

        /// Cuts the next `n` commits.
        pub fn arm(&self, n: u32) {
            self.counters.commits.store(n, Ordering::SeqCst);
        }

        /// Cuts the answers to the next `n` statements that change rows outside a transaction.
        pub fn arm_writes(&self, n: u32) {
            self.counters.writes.store(n, Ordering::SeqCst);
        }

        /// How many commits and writes were cut so far.
        pub fn cut(&self) -> u32 {
            self.counters.cut.load(Ordering::SeqCst)
        }
    }

    impl Drop for CommitCutter {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    fn take_one(armed: &AtomicU32) -> bool {
        armed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Whether a server answer starts with an OK packet saying rows changed (header 0, affected rows > 0).
    fn changed_rows(answer: &[u8]) -> bool {
        answer.len() > 5 && answer[4] == 0x00 && answer[5] != 0x00
    }

    async fn relay(client: TcpStream, upstream: String, counters: Arc<Counters>) {
        let Ok(server) = TcpStream::connect(&upstream).await else {
            return;
        };
        let _ = (client.set_nodelay(true), server.set_nodelay(true));
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        // Cut the server's next answer; or cut it if it says rows changed.
        let cutting = Arc::new(AtomicBool::new(false));
        let watching = Arc::new(AtomicBool::new(false));
        let (cutting2, watching2, counters2) = (cutting.clone(), watching.clone(), counters.clone());
        let to_server = async move {
            let (mut buf, mut chunk) = (Vec::new(), vec![0u8; 65536]);
            loop {
                let n = match cr.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                // MySQL packets: 3-byte little-endian length, sequence byte, payload.
                while buf.len() >= 4 {
                    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], 0]) as usize;
                    if buf.len() < 4 + len {
                        break;
                    }
                    let packet: Vec<u8> = buf.drain(..4 + len).collect();
                    let payload = &packet[4..];
                    // COM_QUERY (3) and COM_STMT_EXECUTE (0x17) run statements.
                    let is_commit = payload.first() == Some(&0x03) && payload[1..].eq_ignore_ascii_case(b"COMMIT");
                    let runs = matches!(payload.first(), Some(0x03 | 0x17));
                    if is_commit && take_one(&counters2.commits) {
                        cutting2.store(true, Ordering::SeqCst);
                        counters2.cut.fetch_add(1, Ordering::SeqCst);
                    } else if runs && !is_commit && counters2.writes.load(Ordering::SeqCst) > 0 {
                        watching2.store(true, Ordering::SeqCst);
                    }
                    if sw.write_all(&packet).await.is_err() {
                        return;
                    }
                }
            }
        };
        let to_client = async move {
            let mut chunk = vec![0u8; 65536];
            loop {
                let n = match sr.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if cutting.load(Ordering::SeqCst) {
                    return; // the server answered the COMMIT: hang up instead of passing it on
                }
                if watching.swap(false, Ordering::SeqCst) && changed_rows(&chunk[..n]) && take_one(&counters.writes) {
                    counters.cut.fetch_add(1, Ordering::SeqCst);
                    return; // the server stored the row: hang up instead of saying so
                }
                if cw.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = to_server => {}
            _ = to_client => {}
        }
    }
}

/// Every kind of create, with its first COMMIT (or its lone insert) cut after the server committed it: the
/// conductor retries (the outcome of a lost commit is unknown), recognises its own write
/// and answers with it; the database holds exactly one copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_lost_after_commit_is_retried_without_duplicates() {
    let db = PrivateMariaDb::start();
    db.create_database("sahara", None);
    let direct = db.oslo_url("sahara");
    migrate(&direct);
    let cutter = commit_cutter::CommitCutter::start(format!("127.0.0.1:{}", db.port())).await;
    let via_cutter = format!("mysql+pymysql://root@127.0.0.1:{}/sahara", cutter.port);
    let retry = CallRetry {
        max_retries: Some(5),
        interval: Duration::from_millis(50),
        increase: true,
        max_interval: Duration::from_millis(400),
    };
    let c = conductor_on(&via_cutter, retry);
    let me = ctx("cut");
    let mut conn = check_conn(&direct);

    // Runs `create` with its first commit (or with `write:`, its first lone write) cut; then
    // `table.col = marker` must match one row.
    macro_rules! cut_once {
        (write: $what:expr, $table:expr, $col:expr, $marker:expr, $create:expr) => {{
            cut_once!(@ arm_writes, $what, $table, $col, $marker, $create)
        }};
        ($what:expr, $table:expr, $col:expr, $marker:expr, $create:expr) => {{
            cut_once!(@ arm, $what, $table, $col, $marker, $create)
        }};
        (@ $arm:ident, $what:expr, $table:expr, $col:expr, $marker:expr, $create:expr) => {{
            let before = cutter.cut();
            cutter.$arm(1);
            let out = $create.await;
            cutter.$arm(0);
            assert_eq!(cutter.cut(), before + 1, "{}: the commit was cut", $what);
            let out = out.unwrap_or_else(|e| panic!("{} after a lost commit: {e:?}", $what));
            assert_eq!(
                count(&mut conn, $table, $col, $marker),
                1,
                "{}: stored exactly once",
                $what
            );
            out
        }};
    }

    let t = cut_once!(
        write: "node_group_template_create",
        "node_group_templates",
        "name",
        "ngt",
        c.node_group_template_create(&me, ngt("ngt"))
    );
    let ct = cut_once!(
        "cluster_template_create",
        "cluster_templates",
        "name",
        "ct",
        c.cluster_template_create(
            &me,
            obj(json!({"name": "ct", "plugin_name": "fake", "hadoop_version": "0.1",
                       "node_groups": [{"name": "m", "node_group_template_id": id_of(&t), "count": 1}]}))
        )
    );
    assert_eq!(
        count(&mut conn, "templates_relations", "cluster_template_id", &id_of(&ct)),
        1
    );
    let cl = cut_once!(
        "cluster_create",
        "clusters",
        "name",
        "cl",
        c.cluster_create(
            &me,
            obj(json!({"name": "cl", "plugin_name": "fake", "hadoop_version": "0.1",
                       "node_groups": [{"name": "w", "flavor_id": "42", "node_processes": ["datanode"], "count": 1}]}))
        )
    );
    let cl_id = id_of(&cl);
    assert_eq!(count(&mut conn, "node_groups", "cluster_id", &cl_id), 1);
    let ng = cut_once!(
        "node_group_add",
        "node_groups",
        "name",
        "added",
        c.node_group_add(
            &me,
            &cl_id,
            obj(json!({"name": "added", "flavor_id": "42", "node_processes": ["datanode"], "count": 1}))
        )
    );
    cut_once!(
        "instance_add",
        "instances",
        "instance_name",
        "inst-1",
        c.instance_add(
            &me,
            &ng,
            obj(json!({"instance_name": "inst-1", "instance_id": "nova-1"}))
        )
    );
    let step = cut_once!(
        "cluster_provision_step_add",
        "cluster_provision_steps",
        "step_name",
        "step-1",
        c.cluster_provision_step_add(
            &me,
            &cl_id,
            obj(json!({"step_name": "step-1", "step_type": "t", "total": 1}))
        )
    );
    cut_once!(
        "cluster_event_add",
        "cluster_events",
        "event_info",
        "event-1",
        c.cluster_event_add(&me, &step, obj(json!({"event_info": "event-1", "successful": true})))
    );
    let ver = cut_once!(
        "cluster_verification_add",
        "cluster_verifications",
        "cluster_id",
        &cl_id,
        c.cluster_verification_add(&me, &cl_id, obj(json!({"status": "CHECKING"})))
    );
    cut_once!(
        "cluster_health_check_add",
        "cluster_health_checks",
        "name",
        "check-1",
        c.cluster_health_check_add(&me, &id_of(&ver), obj(json!({"name": "check-1", "status": "CHECKING"})))
    );
    cut_once!(
        "plugin_create",
        "plugin_data",
        "name",
        "fake",
        c.plugin_create(
            &me,
            obj(json!({"name": "fake", "plugin_labels": {}, "version_labels": {}}))
        )
    );
    cut_once!(
        write: "data_source_create",
        "data_sources",
        "name",
        "ds",
        c.data_source_create(&me, obj(json!({"name": "ds", "type": "swift", "url": "swift://c/o"})))
    );
    let jbi = cut_once!(
        write: "job_binary_internal_create",
        "job_binary_internal",
        "name",
        "jbi",
        c.job_binary_internal_create(&me, obj(json!({"name": "jbi", "data": "aGVsbG8="})))
    );
    let jb = cut_once!(
        write: "job_binary_create",
        "job_binaries",
        "name",
        "main.pig",
        c.job_binary_create(
            &me,
            obj(json!({"name": "main.pig", "url": format!("internal-db://{}", id_of(&jbi))}))
        )
    );
    let job = cut_once!(
        "job_create",
        "jobs",
        "name",
        "job",
        c.job_create(
            &me,
            obj(json!({"name": "job", "type": "Pig", "mains": [id_of(&jb)],
                       "interface": [{"name": "Reducers", "mapping_type": "configs", "location": "mapred.reduce.tasks",
                                      "value_type": "number", "required": false, "default": "1"}]}))
        )
    );
    assert_eq!(count(&mut conn, "job_interface_arguments", "job_id", &id_of(&job)), 1);
    cut_once!(
        "job_execution_create",
        "job_executions",
        "job_id",
        &id_of(&job),
        c.job_execution_create(
            &me,
            obj(json!({"job_id": id_of(&job), "cluster_id": cl_id, "info": {"status": "PENDING"}}))
        )
    );
    // Updates are replayed whole, so a cut commit changes nothing twice.
    let updated = cut_once!(
        "node_group_template_update",
        "node_group_templates",
        "description",
        "d2",
        c.node_group_template_update(&me, &id_of(&t), obj(json!({"description": "d2"})), false)
    );
    assert_eq!(updated["description"], "d2");
}

/// A raw database error as diesel reports it.
fn db_error(kind: DatabaseErrorKind, message: &str) -> ConductorError {
    ConductorError::Diesel(diesel::result::Error::DatabaseError(
        kind,
        Box::new(message.to_string()),
    ))
}

/// `[database] db_max_retries`, `db_retry_interval`, `db_inc_retry_interval` and
/// `db_max_retry_interval` shape the retries as oslo.db's `wrap_db_retry`: the attempts
/// and the pauses between them; errors that are not disconnects or deadlocks are not
/// retried; when retries run out the caller gets the database error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oslo_db_retry_options_shape_the_retries() {
    let dir = tempfile::tempdir().unwrap();
    let conf = |extra: &str| {
        sahara_config::ConfigOpts::from_ini_str(&format!(
            "[database]\nconnection = sqlite:///{}\n{extra}",
            dir.path().join("r.sqlite").display()
        ))
        .unwrap()
    };
    // Runs a call that always fails with `fail()`; returns its error and the pauses between attempts.
    let attempts = |store: Store, fail: fn() -> ConductorError| async move {
        let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let t = times.clone();
        let r = store
            .run("always_fails", move |_, _, _| -> Result<(), ConductorError> {
                t.lock().unwrap().push(Instant::now());
                Err(fail())
            })
            .await;
        let times = times.lock().unwrap().clone();
        let pauses: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        (r.unwrap_err(), pauses)
    };
    // 3 retries, 1 s doubling up to 2 s: pauses 1, 2, 2.
    let store = Store::from_conf(&conf(
        "db_max_retries = 3\ndb_retry_interval = 1\ndb_inc_retry_interval = true\ndb_max_retry_interval = 2\n",
    ))
    .unwrap();
    let (err, pauses) = attempts(store, || {
        db_error(DatabaseErrorKind::Unknown, "Lost connection to server during query")
    })
    .await;
    let secs: Vec<f64> = pauses.iter().map(Duration::as_secs_f64).collect();
    assert_eq!(secs.len(), 3, "1 attempt + db_max_retries: {secs:?}");
    for (got, want) in secs.iter().zip([1.0, 2.0, 2.0]) {
        assert!((want..want + 0.5).contains(got), "pauses {secs:?}, want 1, 2, 2");
    }
    assert!(
        matches!(&err, ConductorError::Unavailable(m) if m.contains("always_fails") && m.contains("Lost connection")),
        "the last error, named after the call: {err:?}"
    );
    let (module, class, _, _) = err.remote_parts();
    assert_eq!(
        (module.as_str(), class.as_str()),
        ("oslo_db.exception", "DBConnectionError")
    );

    // A deadlock is retried too; fixed pauses without db_inc_retry_interval.
    let store = Store::from_conf(&conf(
        "db_max_retries = 2\ndb_retry_interval = 1\ndb_inc_retry_interval = false\n",
    ))
    .unwrap();
    let (err, pauses) = attempts(store, || {
        db_error(
            DatabaseErrorKind::Unknown,
            "Deadlock found when trying to get lock; try restarting transaction",
        )
    })
    .await;
    let secs: Vec<f64> = pauses.iter().map(Duration::as_secs_f64).collect();
    assert_eq!(secs.len(), 2, "{secs:?}");
    assert!(secs.iter().all(|s| (1.0..1.5).contains(s)), "{secs:?}");
    assert!(matches!(err, ConductorError::Deadlock(_)), "{err:?}");
    assert_eq!(
        err.remote_parts().1,
        "DBDeadlock",
        "oslo.db's class for a lost deadlock"
    );

    // db_max_retries = 0: one attempt; other errors: one attempt whatever the policy.
    let store = Store::from_conf(&conf("db_max_retries = 0\n")).unwrap();
    let (_, pauses) = attempts(store, || db_error(DatabaseErrorKind::Unknown, "Server has gone away")).await;
    assert!(pauses.is_empty());
    let store = Store::from_conf(&conf("db_max_retries = 5\n")).unwrap();
    let (err, pauses) = attempts(store, || {
        db_error(DatabaseErrorKind::UniqueViolation, "Duplicate entry 'x' for key 'name'")
    })
    .await;
    assert!(pauses.is_empty(), "a duplicate is not retried: {err:?}");
    let store = Store::from_conf(&conf("db_max_retries = 5\n")).unwrap();
    let (err, pauses) = attempts(store, || {
        db_error(DatabaseErrorKind::CheckViolation, "Check constraint failed")
    })
    .await;
    assert!(pauses.is_empty(), "{err:?}");
    assert_eq!(
        err.remote_parts().1,
        "DBError",
        "neither a disconnect nor a deadlock: {err:?}"
    );
}

/// A server that stays down: the call fails after its retries with an error that says
/// what happened, in the form oslo.db gives it over RPC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_exhausted_give_a_clear_error() {
    let mut db = PrivateMariaDb::start();
    db.create_database("sahara", None);
    migrate(&db.oslo_url("sahara"));
    let conf = sahara_config::ConfigOpts::from_ini_str(&format!(
        "[database]\nconnection = {}\ndb_max_retries = 2\ndb_retry_interval = 1\npool_timeout = 1\n",
        db.oslo_url("sahara")
    ))
    .unwrap();
    let c = Conductor::from_conf(&conf).unwrap();
    let me = ctx("down");
    c.node_group_template_create(&me, ngt("before")).await.unwrap();
    tokio::task::block_in_place(|| db.kill());
    let started = Instant::now();
    let err = c.node_group_template_create(&me, ngt("during")).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("gave up after {took:?}: {err}");
    let message = err.to_string();
    assert!(
        matches!(err, ConductorError::Unavailable(_)),
        "a database error, not a Sahara one: {err:?}"
    );
    assert!(message.contains("node_group_template_create"), "{message}");
    assert!(
        message.contains("Can't connect") || message.contains("Lost connection"),
        "{message}"
    );
    assert!(
        took >= Duration::from_secs(3),
        "three attempts with 1 s + 2 s pauses: {took:?}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
    let remote = rpc::to_remote(&err);
    assert_eq!(
        (remote.module.as_str(), remote.class.as_str()),
        ("oslo_db.exception", "DBConnectionError")
    );
    // Back up: the same conductor serves again.
    tokio::task::block_in_place(|| db.start_again());
    c.node_group_template_create(&me, ngt("after")).await.unwrap();
}

/// A long outage (longer than half of the default 30 s `pool_timeout`): once the server
/// is back, a waiting call gets a connection within about a second, not after the pool's
/// reconnect back-off has grown to 15 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_outage_recovers_promptly() {
    let mut db = PrivateMariaDb::start();
    db.create_database("sahara", None);
    migrate(&db.oslo_url("sahara"));
    let conf = sahara_config::ConfigOpts::from_ini_str(&format!(
        "[database]\nconnection = {}\ndb_max_retries = -1\ndb_retry_interval = 1\ndb_max_retry_interval = 1\n",
        db.oslo_url("sahara")
    ))
    .unwrap();
    let c = Conductor::from_conf(&conf).unwrap();
    let me = ctx("long");
    c.node_group_template_create(&me, ngt("before")).await.unwrap();
    tokio::task::block_in_place(|| db.kill());
    let waiting = {
        let (c, me) = (c.clone(), me.clone());
        tokio::spawn(async move {
            c.node_group_template_create(&me, ngt("during")).await.unwrap();
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_secs(16)).await;
    assert!(!waiting.is_finished(), "the call waits for the server");
    let back = tokio::task::block_in_place(|| {
        db.start_again();
        Instant::now()
    });
    let done = waiting.await.unwrap();
    let recovery = done.saturating_duration_since(back);
    eprintln!("recovered {recovery:?} after the server came back from a 16 s outage");
    // The pool reopens connections at least every RECONNECT_PACE (1 s) and the call retries
    // every second: about 2 s at worst; before the cap this was up to 15 s.
    assert!(recovery < Duration::from_secs(5), "{recovery:?}");
}

/// Two transactions update two rows in opposite order: InnoDB kills one as the deadlock
/// victim; the conductor retries it, and both complete with each row updated twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlock_victim_is_retried_and_both_complete() {
    let h = common::mysql();
    let store = h.conductor.store().clone();
    store
        .run("setup", |c, _, _| {
            Sql::new("CREATE TABLE IF NOT EXISTS robust_deadlock (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB")
                .execute(c)?;
            Sql::new("INSERT INTO robust_deadlock VALUES (1, 0), (2, 0)").execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let holding = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let attempts = Arc::new(AtomicU32::new(0));
    let tx = |me: usize, first: i32, second: i32| {
        let (store, holding, attempts) = (store.clone(), holding.clone(), attempts.clone());
        async move {
            store
                .run("deadlock", move |c, _, attempt| {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    Sql::new(format!("UPDATE robust_deadlock SET v = v + 1 WHERE id = {first}")).execute(c)?;
                    if attempt == 0 {
                        // Both hold their first row before either asks for its second.
                        holding[me].store(true, Ordering::SeqCst);
                        let deadline = Instant::now() + Duration::from_secs(10);
                        while !holding[1 - me].load(Ordering::SeqCst) {
                            assert!(Instant::now() < deadline, "the other transaction never started");
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                    Sql::new(format!("UPDATE robust_deadlock SET v = v + 1 WHERE id = {second}")).execute(c)?;
                    Ok(attempt)
                })
                .await
        }
    };
    let (a, b) = tokio::join!(tx(0, 1, 2), tx(1, 2, 1));
    let (a, b) = (a.expect("first transaction"), b.expect("second transaction"));
    assert_eq!(
        {
            let mut v = [a, b];
            v.sort();
            v
        },
        [0, 1],
        "one went through at once, the victim on its retry"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    let values = store
        .run("check", |c, _, _| {
            Ok(Sql::new("SELECT CAST(v AS CHAR) AS v FROM robust_deadlock ORDER BY id").load_strings(c)?)
        })
        .await
        .unwrap();
    assert_eq!(
        values,
        [Some("2".to_string()), Some("2".to_string())],
        "each row updated by both, once"
    );
}

// ---------------------------------------------------------------------------------------
// 2, 3. The RPC endpoint
// ---------------------------------------------------------------------------------------

/// A test's private corner of the local RabbitMQ: control exchange and topic named after
/// `marker`.
fn transport(marker: &str) -> Transport {
    let mut options = TransportOptions {
        control_exchange: format!("robust_x_{marker}"),
        ..Default::default()
    };
    options.rabbit.rabbit_transient_queues_ttl = 60;
    // Replies to queues nobody listens on are given up quickly (oslo's default waits 60 s).
    options.rabbit.kombu_missing_consumer_retry_timeout = 2;
    Transport::new(&rabbit_url(), options).unwrap()
}

async fn serve(t: &Transport, topic: &str, server: &str, conductor: Conductor) -> RpcServer {
    RpcServer::start(
        t,
        Target::topic(topic).with_server(server),
        vec![rpc::endpoint(Arc::new(conductor))],
    )
    .await
    .unwrap()
}

/// 16 concurrent `node_group_template_create` calls with one name, over RabbitMQ to two
/// conductors sharing the topic: one success; every other caller gets Sahara's
/// `DBDuplicateEntry` as an oslo remote error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_concurrent_creates_of_one_name_one_success() {
    let marker = uuid::Uuid::new_v4().simple().to_string();
    cleaned_up(&marker.clone(), async move {
        let h = common::mysql();
        let second = conductor_on(&h.url, test_retry());
        let t = transport(&marker);
        let topic = format!("robust_t_{marker}");
        let s1 = serve(&t, &topic, "c1", h.conductor.clone()).await;
        let s2 = serve(&t, &topic, "c2", second).await;
        let client = RpcClient::new(&t, Target::topic(&topic)).with_timeout(Duration::from_secs(30));
        let me = ctx("race");
        let calls: Vec<_> = (0..16)
            .map(|_| client.call(&me, "node_group_template_create", json!({"values": ngt("same-name")})))
            .collect();
        let mut ok = 0;
        for r in futures_util::future::join_all(calls).await {
            match r {
                Ok(v) => {
                    assert_eq!(v["name"], "same-name");
                    ok += 1;
                }
                Err(e) => {
                    let remote = e.remote().unwrap_or_else(|| panic!("a remote error, got {e:?}"));
                    assert_eq!(
                        (remote.module.as_str(), remote.class.as_str()),
                        ("sahara.exceptions", "DBDuplicateEntry"),
                        "{remote:?}"
                    );
                    assert_eq!(
                        remote.kwargs.get("code"),
                        Some(&json!("DB_DUPLICATE_ENTRY")),
                        "{remote:?}"
                    );
                    assert!(remote.message.contains("Duplicate entry"), "{remote:?}");
                }
            }
        }
        assert_eq!(ok, 1, "exactly one create wins");
        let all = client
            .call(&me, "node_group_template_get_all", json!({"name": "same-name"}))
            .await
            .unwrap();
        assert_eq!(all["items"].as_array().unwrap().len(), 1);
        s1.stop().await;
        s2.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// Publishes raw bytes to `exchange` with `routing_key`, as any broker client could.
async fn publish_raw(ch: &lapin::Channel, exchange: &str, routing_key: &str, body: &[u8]) {
    ch.basic_publish(
        exchange.into(),
        routing_key.into(),
        lapin::options::BasicPublishOptions::default(),
        body,
        lapin::BasicProperties::default().with_content_type("application/json".into()),
    )
    .await
    .unwrap()
    .await
    .unwrap();
}

/// An oslo 2.0 envelope around `inner`.
fn envelope(inner: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"oslo.version": "2.0", "oslo.message": inner.to_string()})).unwrap()
}

/// Unknown methods, missing and wrong-typed arguments, unsupported versions and garbage
/// published straight to the conductor's queue: callers get oslo-style remote errors, the
/// garbage is dropped, and the server answers normal calls throughout and afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_malformed_and_unknown_requests_are_answered_not_fatal() {
    let marker = uuid::Uuid::new_v4().simple().to_string();
    cleaned_up(&marker.clone(), async move {
        let h = common::sqlite();
        let t = transport(&marker);
        let topic = format!("robust_t_{marker}");
        let server = serve(&t, &topic, "c1", h.conductor.clone()).await;
        let client = RpcClient::new(&t, Target::topic(&topic)).with_timeout(Duration::from_secs(20));
        let me = ctx("p");
        let alive = || async {
            client
                .call(&me, "node_group_template_get_all", json!({}))
                .await
                .expect("the server still answers")
        };
        alive().await;

        let err = client.call(&me, "no_such_method", json!({})).await.unwrap_err();
        let remote = err.remote().unwrap();
        assert!(remote.is_no_such_method(), "{remote:?}");
        assert_eq!(remote.module, "oslo_messaging.rpc.dispatcher");
        let err = client
            .clone()
            .with_version("2.0")
            .call(&me, "cluster_get", json!({"cluster": "x"}))
            .await
            .unwrap_err();
        assert!(err.remote().unwrap().is_unsupported_version(), "{err:?}");

        for (method, args, says) in [
            ("cluster_get", json!({}), "missing required argument 'cluster'"),
            (
                "node_group_template_create",
                json!({}),
                "missing required argument 'values'",
            ),
            (
                "node_group_template_create",
                json!({"values": "not a dict"}),
                "must be an object",
            ),
            ("cluster_get", json!({"cluster": 42}), "must be an id or an object"),
            ("cluster_get", json!({"cluster": {"name": "no id"}}), "has no id"),
            ("cluster_get_all", json!({"regex_search": "yes"}), "must be a boolean"),
            (
                "node_group_template_get_all",
                json!({"limit": "ten"}),
                "invalid literal for int()",
            ),
            (
                "node_group_template_get_all",
                json!({"sort_by": "nope"}),
                "Sort key supplied is invalid",
            ),
            (
                "node_group_template_get_all",
                json!({"no_such_column": 1}),
                "no column 'no_such_column'",
            ),
            (
                "node_group_template_create",
                json!({"values": {"name": {"a": 1}, "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "1"}}),
                "name must be a string",
            ),
            (
                "node_group_template_create",
                json!({"values": {"name": "n", "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "1",
                                  "volumes_per_node": "many"}}),
                "must be an integer",
            ),
            ("plugin_get", json!({"name": ["x"]}), "must be a string"),
        ] {
            let err = client.call(&me, method, args.clone()).await.unwrap_err();
            let remote = err.remote().unwrap_or_else(|| panic!("{method} {args}: {err:?}"));
            assert_eq!(
                (remote.module.as_str(), remote.class.as_str()),
                ("builtins", "TypeError"),
                "{method} {args}: {remote:?}"
            );
            assert!(remote.message.contains(says), "{method} {args}: {}", remote.message);
        }
        alive().await;

        // Garbage straight onto the topic queue.
        let conn = lapin::Connection::connect(&amqp_uri(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let exchange = format!("robust_x_{marker}");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let ok_call = |extra: Value| {
            let mut m = obj(
                json!({"method": "node_group_template_get_all", "args": {}, "version": "1.0",
                                    "_unique_id": uuid::Uuid::new_v4().simple().to_string()}),
            );
            m.extend(obj(extra));
            Value::Object(m)
        };
        let bodies: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\x00\xff\xfe garbage".to_vec(),
            b"{\"unterminated\": ".to_vec(),
            b"[1, 2, 3]".to_vec(),
            b"\"a string\"".to_vec(),
            deep.into_bytes(),
            serde_json::to_vec(&json!({"args": {}})).unwrap(),
            serde_json::to_vec(&json!({"method": 42, "args": {}})).unwrap(),
            serde_json::to_vec(&json!({"method": "cluster_get", "args": "not an object"})).unwrap(),
            serde_json::to_vec(&json!({"oslo.version": "3.0", "oslo.message": "{}"})).unwrap(),
            serde_json::to_vec(&json!({"oslo.version": "2.0", "oslo.message": "not json"})).unwrap(),
            serde_json::to_vec(&json!({"oslo.version": "2.0", "oslo.message": 7})).unwrap(),
            envelope(&json!(["not", "an", "object"])),
            envelope(&ok_call(json!({"_msg_id": "m1"}))), // a call without a reply queue
            envelope(&ok_call(json!({"_msg_id": "m2", "_reply_q": "reply_nobody_listens"}))),
            envelope(&ok_call(
                json!({"_context_roles": 5, "_context_is_admin": "yes", "_context_project_id": ["p"],
                                     "_context_auth_token": {"nested": true}, "_timeout": "soon"}),
            )),
            envelope(
                &json!({"method": "node_group_template_create", "args": {"values": {"name": "cast"}},
                             "_unique_id": "x"}),
            ), // a cast that fails: nobody to tell
        ];
        for body in &bodies {
            publish_raw(&ch, &exchange, &topic, body).await;
            publish_raw(&ch, &exchange, &format!("{topic}.c1"), body).await;
        }
        let _ = conn.close(200, "done".into()).await;
        alive().await;

        // Raw calls with odd contexts, and one whose arguments do not fit, are answered.
        let reply_q = format!("robust_reply_{marker}");
        let conn = lapin::Connection::connect(&amqp_uri(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        ch.queue_declare(
            reply_q.as_str().into(),
            lapin::options::QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .unwrap();
        let raw_calls = [
            ok_call(
                json!({"_msg_id": "odd-context", "_reply_q": reply_q, "_context_roles": 5,
                           "_context_is_admin": "yes", "_context_project_id": ["p"], "_timeout": "soon"}),
            ),
            json!({"method": "cluster_get", "args": {"cluster": null}, "_msg_id": "null-arg", "_reply_q": reply_q,
                   "_unique_id": "u-null-arg"}),
            // Calls that make no sense are answered too, not left to time out.
            json!({"args": {}, "_msg_id": "no-method", "_reply_q": reply_q, "_unique_id": "u-no-method"}),
            json!({"method": "cluster_get", "args": ["x"], "_msg_id": "list-args", "_reply_q": reply_q,
                   "_unique_id": "u-list-args"}),
        ];
        for call in &raw_calls {
            publish_raw(&ch, &exchange, &topic, &envelope(call)).await;
        }
        let mut replies: HashMap<String, Value> = HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while replies.len() < raw_calls.len() {
            assert!(Instant::now() < deadline, "raw calls answered: got {replies:?}");
            match ch
                .basic_get(
                    reply_q.as_str().into(),
                    lapin::options::BasicGetOptions { no_ack: true },
                )
                .await
                .unwrap()
            {
                Some(m) => {
                    let reply = sahara_rpc::message::deserialize_msg(&m.delivery.data).unwrap();
                    replies.insert(reply["_msg_id"].as_str().unwrap().to_string(), Value::Object(reply));
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        assert!(
            replies["odd-context"]["failure"].is_null(),
            "an odd context does not break the call: {:?}",
            replies["odd-context"]
        );
        for id in ["null-arg", "no-method", "list-args"] {
            let failure: Value = serde_json::from_str(replies[id]["failure"].as_str().unwrap()).unwrap();
            assert_eq!(failure["class"], "TypeError", "{id}: {failure}");
        }
        let _ = ch
            .queue_delete(reply_q.as_str().into(), lapin::options::QueueDeleteOptions::default())
            .await;
        let _ = conn.close(200, "done".into()).await;

        alive().await;
        let created = client
            .call(
                &me,
                "node_group_template_create",
                json!({"values": ngt("still-writing")}),
            )
            .await
            .unwrap();
        assert_eq!(created["name"], "still-writing");
        server.stop().await;
        t.shutdown().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// 4. Secrets stay out of the logs
// ---------------------------------------------------------------------------------------

/// Calls carrying secrets go through RPC and the store with DEBUG logging on (oslo.log
/// lines to a file, as the conductor binary writes them), including a duplicate, type
/// errors and a database outage; no line holds a password, key, token or trust id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_log_line() {
    let marker = uuid::Uuid::new_v4().simple().to_string();
    cleaned_up(&marker.clone(), async move {
        let secret = |what: &str| format!("{what}{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let db_password = secret("DbPw");
        let mut db = PrivateMariaDb::start();
        db.create_database("sahara", Some(("sahara", &db_password)));
        let db_url = format!("mysql+pymysql://sahara:{db_password}@127.0.0.1:{}/sahara", db.port());
        migrate(&db_url);

        // The conductor binary's start: sahara.conf with debug, logging to a file.
        let dir = tempfile::tempdir().unwrap();
        let conf_path = dir.path().join("sahara.conf");
        std::fs::write(
            &conf_path,
            format!(
                "[DEFAULT]\ndebug = True\nlog_dir = {}\nuse_stderr = False\n\
                 [database]\nconnection = {db_url}\ndb_max_retries = 1\ndb_retry_interval = 1\npool_timeout = 1\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let args = sahara_service::ServiceArgs {
            config: sahara_config::ConfigArgs::new(vec![sahara_config::ConfigSource::File(conf_path)]),
        };
        let started = sahara_service::start("sahara-conductor", &args).expect("logging starts");
        let conductor = Conductor::from_conf(&started.conf).unwrap();
        let t = transport(&marker);
        let topic = format!("robust_t_{marker}");
        let server = serve(&t, &topic, "c1", conductor).await;
        let client = RpcClient::new(&t, Target::topic(&topic)).with_timeout(Duration::from_secs(30));

        let token = secret("Tok");
        let mut me = RequestContext::for_user("user-s", "project-s");
        me.auth_token = Some(token.clone());
        let (ds_pw, ds_pw2, dup_pw, swift_pw, s3_secret, proxy_pw, trust, proxy_trust, typed_trust, outage_pw) = (
            secret("DsPw"),
            secret("DsPwTwo"),
            secret("DupPw"),
            secret("SwiftPw"),
            secret("S3Key"),
            secret("ProxyPw"),
            secret("Trust"),
            secret("ProxyTrust"),
            secret("TypedTrust"),
            secret("OutagePw"),
        );
        let call = |method: &'static str, args: Value| {
            let (client, me) = (client.clone(), me.clone());
            async move { client.call(&me, method, args).await }
        };

        let ds = call(
            "data_source_create",
            json!({"values": {"name": "ds", "type": "swift", "url": "swift://c/o",
                              "credentials": {"user": "u", "password": ds_pw}}}),
        )
        .await
        .unwrap();
        assert_eq!(ds["credentials"]["password"], ds_pw, "stored and returned to the caller");
        call(
            "data_source_update",
            json!({"id": ds["id"], "values": {"credentials": {"user": "u", "password": ds_pw2}}}),
        )
        .await
        .unwrap();
        let dup = call(
            "data_source_create",
            json!({"values": {"name": "ds", "type": "swift", "url": "swift://c/o",
                              "credentials": {"user": "u", "password": dup_pw}}}),
        )
        .await
        .unwrap_err();
        assert_eq!(dup.remote().unwrap().class, "DBDuplicateEntry");
        let jb = call(
            "job_binary_create",
            json!({"values": {"name": "wc.jar", "url": "swift://c/wc.jar", "extra": {"user": "u", "password": swift_pw}}}),
        )
        .await
        .unwrap();
        call(
            "job_binary_create",
            json!({"values": {"name": "s3.jar", "url": "s3://b/s3.jar",
                              "extra": {"accesskey": "AK", "secretkey": s3_secret, "endpoint": "http://s3"}}}),
        )
        .await
        .unwrap();
        let cluster = call(
            "cluster_create",
            json!({"values": {"name": "c", "plugin_name": "fake", "hadoop_version": "0.1"}}),
        )
        .await
        .unwrap();
        let private_key = cluster["management_private_key"].as_str().unwrap().to_string();
        assert!(private_key.contains("PRIVATE KEY"), "a key was generated");
        let key_lines: Vec<String> = private_key
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 20)
            .map(str::to_string)
            .collect();
        call("cluster_update", json!({"cluster": cluster["id"], "values": {"trust_id": trust}}))
            .await
            .unwrap();
        let got = call("cluster_get", json!({"cluster": cluster["id"]})).await.unwrap();
        assert_eq!(got["trust_id"], trust);
        let job = call(
            "job_create",
            json!({"values": {"name": "j", "type": "Java", "libs": [jb["id"]]}}),
        )
        .await
        .unwrap();
        call(
            "job_execution_create",
            json!({"values": {"job_id": job["id"], "cluster_id": cluster["id"], "info": {"status": "PENDING"},
                              "job_configs": {"configs": {}, "proxy_configs": {"proxy_username": "pu",
                                              "proxy_password": proxy_pw, "proxy_trust_id": proxy_trust}}}}),
        )
        .await
        .unwrap();
        // A secret in a value of the wrong type is refused without being repeated.
        let typed = call(
            "cluster_update",
            json!({"cluster": cluster["id"], "values": {"trust_id": {"id": typed_trust}}}),
        )
        .await
        .unwrap_err();
        assert_eq!(typed.remote().unwrap().class, "TypeError", "{typed:?}");
        // So is a whole argument of the wrong type that carries one.
        let typed = call(
            "data_source_create",
            json!({"values": [{"credentials": {"password": typed_trust}}]}),
        )
        .await
        .unwrap_err();
        assert_eq!(typed.remote().unwrap().class, "TypeError", "{typed:?}");

        // The database goes away while a call carrying a password is under way.
        tokio::task::block_in_place(|| db.kill());
        let outage = call(
            "data_source_create",
            json!({"values": {"name": "during-outage", "type": "swift", "url": "swift://c/o",
                              "credentials": {"user": "u", "password": outage_pw}}}),
        )
        .await
        .unwrap_err();
        assert_eq!(outage.remote().unwrap().class, "DBConnectionError", "{outage:?}");
        tokio::task::block_in_place(|| db.start_again());
        call("data_source_get_all", json!({})).await.unwrap();
        server.stop().await;
        t.shutdown().await;

        let log = std::fs::read_to_string(dir.path().join("sahara-conductor.log")).unwrap();
        let mut secrets = vec![
            ("database password", db_password.clone()),
            ("auth token", token.clone()),
            ("data source password", ds_pw.clone()),
            ("updated data source password", ds_pw2.clone()),
            ("duplicate's password", dup_pw.clone()),
            ("job binary password", swift_pw.clone()),
            ("job binary S3 secret key", s3_secret.clone()),
            ("proxy user password", proxy_pw.clone()),
            ("trust id", trust.clone()),
            ("proxy trust id", proxy_trust.clone()),
            ("trust id of the wrong type", typed_trust.clone()),
            ("password of the call during the outage", outage_pw.clone()),
        ];
        secrets.extend(key_lines.iter().map(|l| ("management private key", l.clone())));
        let leaks: Vec<String> = log
            .lines()
            .flat_map(|line| {
                secrets
                    .iter()
                    .filter(|(_, s)| line.contains(s.as_str()))
                    .map(move |(what, _)| format!("{what}: {line}"))
            })
            .collect();
        assert!(leaks.is_empty(), "secrets in the log:\n{}", leaks.join("\n"));

        // The log did capture the calls and the failures (so the check above means something).
        let has = |s: &str| log.lines().any(|l| l.contains(s));
        assert!(has("database call failed, retrying"), "the outage was logged");
        assert!(has("conductor call failed"), "the failed call was logged");
        assert!(has("class=DBDuplicateEntry"), "the duplicate was logged");
        assert!(has("class=TypeError"), "the type error was logged");
        if std::env::var("RUST_LOG").is_err() {
            assert!(has(" DEBUG "), "DEBUG lines were captured");
        }
        drop(started);
    })
    .await;
}
