//! [`Cloud`]: the simulator's core. It owns the state (in memory, persisted as JSON after
//! every change), the fabric that makes the state real on the host, and the background
//! work that the real services do asynchronously (booting servers, making volumes).
//!
//! The operations themselves are methods of [`Cloud`] defined in [`super::network`],
//! [`super::compute`], [`super::image`] and [`super::volume`]; the REST handlers and Heat
//! call them.

use super::error::{Result, SimError};
use super::faults::{self, FaultKind, FaultRule};
use super::ipam::Cidr;
use super::model::{AllocationPool, External, Network, Subnet};
use super::state::State;
use crate::fabric::{self, Fabric, FabricError};
use crate::naming::Prefix;
use std::future::Future;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The name of the state file in the state directory.
pub const STATE_FILE: &str = "sim-state.json";

/// The path of the simulator's state file in `state_dir`.
pub fn state_file(state_dir: &Path) -> PathBuf {
    state_dir.join(STATE_FILE)
}

/// The prefix recorded in a state directory by an earlier (maybe crashed) run, so that its
/// leftovers can be cleaned up.
pub fn recorded_prefix(state_dir: &Path) -> Option<Prefix> {
    let text = std::fs::read_to_string(state_file(state_dir)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Prefix::parse(value.get("prefix")?.as_str()?)
}

/// What a cloud is made with.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// Where the state file goes.
    pub state_dir: PathBuf,
    /// The cloud's prefix (ids, host names).
    pub prefix: Prefix,
    /// How many simulated compute hosts servers are spread over (anti-affinity needs as
    /// many as a group has members).
    pub compute_hosts: usize,
    /// The project owning the `public` network and the seeded images (the cloud
    /// admin's).
    pub admin_project_id: String,
    /// Candidate ranges for the external network, tried in order until one is free on the
    /// host; empty: ranges in 100.64.0.0/10 derived from the prefix.
    pub external_cidrs: Vec<Cidr>,
    /// The login user of servers whose image names none (`_sahara_username`,
    /// `os_admin_user`).
    pub default_login_user: String,
}

impl CloudConfig {
    /// A configuration with the defaults: 8 compute hosts, external range from the prefix,
    /// `ubuntu` as login user.
    pub fn new(state_dir: impl Into<PathBuf>, prefix: Prefix, admin_project_id: impl Into<String>) -> CloudConfig {
        CloudConfig {
            state_dir: state_dir.into(),
            prefix,
            compute_hosts: 8,
            admin_project_id: admin_project_id.into(),
            external_cidrs: Vec::new(),
            default_login_user: "ubuntu".to_string(),
        }
    }

    fn external_candidates(&self) -> Vec<Cidr> {
        if !self.external_cidrs.is_empty() {
            return self.external_cidrs.clone();
        }
        let seed = u32::from_str_radix(&self.prefix.to_string(), 16).unwrap_or(0);
        (0..32u32)
            .map(|i| {
                let n = (seed ^ (seed >> 14)).wrapping_add(i.wrapping_mul(2654435761)) % (64 * 256);
                Cidr {
                    network: Ipv4Addr::new(100, 64 + (n / 256) as u8, (n % 256) as u8, 0),
                    prefix_len: 24,
                }
            })
            .collect()
    }
}

struct Inner {
    config: CloudConfig,
    state: Mutex<State>,
    fabric: Arc<dyn Fabric>,
    serial: tokio::sync::Mutex<()>,
    changes: watch::Sender<u64>,
    generation: AtomicU64,
    written: Mutex<u64>,
    inflight: AtomicUsize,
    idle: Notify,
}

/// The simulated cloud. Cheap to clone; every clone is the same cloud.
#[derive(Clone)]
pub struct Cloud {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloud")
            .field("prefix", &self.inner.config.prefix)
            .finish()
    }
}

impl Cloud {
    /// Makes a new cloud: seeds flavors, images and volume types, makes the external
    /// network `public` (bridge holding the host's address, a /24 free on the host) and
    /// writes the state file.
    pub async fn start(config: CloudConfig, fabric: Arc<dyn Fabric>) -> Result<Cloud> {
        let span = tracing::info_span!("sim_start", prefix = %config.prefix);
        let _e = span.enter();
        std::fs::create_dir_all(&config.state_dir)
            .map_err(|e| SimError::Internal(format!("creating {}: {e}", config.state_dir.display())))?;
        let mut state = State::seeded(config.prefix, config.compute_hosts);
        for img in state.images.values_mut() {
            img.owner = Some(config.admin_project_id.clone());
        }
        let (changes, _) = watch::channel(0);
        let cloud = Cloud {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(state),
                fabric,
                serial: tokio::sync::Mutex::new(()),
                changes,
                generation: AtomicU64::new(0),
                written: Mutex::new(0),
                inflight: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        };
        drop(_e);
        cloud.make_external_network().await?;
        Ok(cloud)
    }

    async fn make_external_network(&self) -> Result<()> {
        let now = chrono::Utc::now();
        let prefix = self.prefix();
        let network_id = prefix.mint_id();
        let subnet_id = prefix.mint_id();
        let mut last = None;
        for cidr in self.inner.config.external_candidates() {
            let host_ip = cidr
                .first_host()
                .ok_or_else(|| SimError::Internal(format!("{cidr} is too small")))?;
            let wiring = fabric::ExternalNetwork {
                network_id: network_id.clone(),
                subnet: fabric::Subnet {
                    network: cidr.network,
                    prefix_len: cidr.prefix_len,
                },
                host_ip,
            };
            match self.host(move |f| f.create_external_network(&wiring)).await {
                Ok(()) => {
                    let admin = self.inner.config.admin_project_id.clone();
                    self.write(|s| {
                        s.networks.insert(
                            network_id.clone(),
                            Network {
                                id: network_id.clone(),
                                name: "public".to_string(),
                                project_id: admin.clone(),
                                admin_state_up: true,
                                shared: false,
                                external: true,
                                mtu: 1500,
                                network_type: "flat".to_string(),
                                physical_network: Some("public".to_string()),
                                segmentation_id: None,
                                port_security_enabled: true,
                                description: String::new(),
                                created_at: now,
                                updated_at: now,
                                revision_number: 1,
                            },
                        );
                        s.subnets.insert(
                            subnet_id.clone(),
                            Subnet {
                                id: subnet_id.clone(),
                                name: "public-subnet".to_string(),
                                project_id: admin,
                                network_id: network_id.clone(),
                                cidr,
                                gateway_ip: Some(host_ip),
                                allocation_pools: vec![AllocationPool {
                                    start: Ipv4Addr::from(u32::from(host_ip) + 1),
                                    end: Ipv4Addr::from(u32::from(cidr.broadcast()) - 1),
                                }],
                                enable_dhcp: false,
                                dns_nameservers: Vec::new(),
                                host_routes: Vec::new(),
                                description: String::new(),
                                created_at: now,
                                updated_at: now,
                                revision_number: 0,
                            },
                        );
                        s.external = Some(External {
                            network_id,
                            subnet_id,
                            cidr,
                            host_ip,
                        });
                    });
                    tracing::info!(%cidr, %host_ip, "external network made");
                    return Ok(());
                }
                Err(SimError::Fabric(FabricError::InUse(what))) => {
                    tracing::debug!(%cidr, %what, "external range in use; trying the next");
                    last = Some(what);
                }
                Err(e) => return Err(e),
            }
        }
        Err(SimError::Internal(format!(
            "no free range for the external network (last in use: {})",
            last.unwrap_or_default()
        )))
    }

    /// The cloud's prefix.
    pub fn prefix(&self) -> Prefix {
        self.inner.config.prefix
    }

    /// The cloud's configuration.
    pub fn config(&self) -> &CloudConfig {
        &self.inner.config
    }

    /// The external network's wiring.
    pub fn external(&self) -> Option<External> {
        self.read(|s| s.external.clone())
    }

    /// A copy of the whole state (for inspection and tests).
    pub fn snapshot(&self) -> State {
        self.read(State::clone)
    }

    /// Reads the state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state, then persists it and wakes whoever waits for a change.
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, json, generation) = {
            let mut state = self.lock();
            let r = f(&mut state);
            let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
            (r, serde_json::to_vec_pretty(&*state), generation)
        };
        match json {
            Ok(bytes) => self.persist(generation, &bytes),
            Err(e) => tracing::error!(error = %e, "could not serialise the simulator state"),
        }
        self.inner.changes.send_replace(generation);
        r
    }

    /// Changes the state if `f` succeeds (it must leave the state untouched when it fails).
    pub(crate) fn try_write<R>(&self, f: impl FnOnce(&mut State) -> Result<R>) -> Result<R> {
        self.write(f)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn persist(&self, generation: u64, bytes: &[u8]) {
        let mut written = self.inner.written.lock().unwrap_or_else(|p| p.into_inner());
        if *written >= generation {
            return;
        }
        let path = state_file(&self.inner.config.state_dir);
        let tmp = path.with_extension("json.tmp");
        let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &path));
        match result {
            Ok(()) => *written = generation,
            Err(e) => tracing::error!(path = %path.display(), error = %e, "could not write the simulator state"),
        }
    }

    /// Serialises operations that change the host (Neutron's synchronous ones), so that a
    /// check made under it still holds when its fabric call runs.
    pub(crate) async fn serial(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.serial.lock().await
    }

    /// Runs a fabric call on a blocking thread.
    pub(crate) async fn host<R: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Fabric) -> fabric::Result<R> + Send + 'static,
    ) -> Result<R> {
        let fabric = self.inner.fabric.clone();
        tokio::task::spawn_blocking(move || f(fabric.as_ref()))
            .await
            .map_err(|e| SimError::Internal(format!("fabric call panicked: {e}")))?
            .map_err(SimError::Fabric)
    }

    /// Runs background work (what the real service does after answering), tracked so that
    /// [`Cloud::idle`] can wait for it.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.inner.inflight.fetch_add(1, Ordering::SeqCst);
        let cloud = self.clone();
        tokio::spawn(async move {
            fut.await;
            if cloud.inner.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
                cloud.inner.idle.notify_waiters();
            }
        });
    }

    /// Waits until no background work (boots, deletions, volume work) is running.
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            if self.inner.inflight.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// A receiver that changes whenever the state does.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Waits until `pred` holds on the state, or `timeout` passes (then false).
    pub async fn wait_until(&self, timeout: Duration, pred: impl Fn(&State) -> bool) -> bool {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.read(&pred) {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return self.read(&pred),
            }
        }
    }

    /// Adds an injected fault rule (see [`super::faults`]); returns it with its id.
    pub fn add_fault(&self, mut rule: FaultRule) -> Result<FaultRule> {
        if let Some(p) = &rule.name {
            faults::validate_pattern(p).map_err(SimError::bad_request)?;
        }
        if let FaultKind::BootDelay { seconds } = rule.kind
            && !(0.0..=3600.0).contains(&seconds)
        {
            return Err(SimError::bad_request("boot_delay seconds must be within 0..3600"));
        }
        rule.id = self.prefix().mint_id();
        self.write(|s| s.faults.push(rule.clone()));
        tracing::info!(fault = ?rule, "fault injected");
        Ok(rule)
    }

    /// The fault rules in force.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.read(|s| s.faults.clone())
    }

    /// Removes one fault rule.
    pub fn remove_fault(&self, id: &str) -> Result<()> {
        self.try_write(|s| {
            let before = s.faults.len();
            s.faults.retain(|f| f.id != id);
            if s.faults.len() == before {
                return Err(SimError::not_found(super::error::Kind::Fault, id));
            }
            Ok(())
        })
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.write(|s| s.faults.clear());
    }

    /// Heat's hook: whether a stack named `stack_name` of `project_id` must time out (a
    /// `stack_timeout` rule matched; the rule's count is consumed).
    pub fn take_stack_fault(&self, stack_name: &str, project_id: &str) -> bool {
        self.write(|s| faults::take_stack_fault(&mut s.faults, stack_name, project_id))
            .is_some()
    }
}
