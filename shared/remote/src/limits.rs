//! Sahara's remote semaphores: at most `global_remote_threshold` remote operations at once
//! in the process and `cluster_remote_threshold` in one cluster operation. Here a remote
//! operation is an [`SshConnection`](crate::SshConnection) (Sahara's `with remote` block):
//! it holds a [`RemotePermit`] until it is closed.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The process-wide limit; one per process, cloned freely.
#[derive(Debug, Clone)]
pub struct RemoteLimiter {
    global: Arc<Semaphore>,
    cluster_threshold: usize,
}

impl RemoteLimiter {
    /// A limiter of `global_threshold` operations per process, handing out cluster
    /// limiters of `cluster_threshold` (each at least 1).
    pub fn new(global_threshold: usize, cluster_threshold: usize) -> RemoteLimiter {
        RemoteLimiter {
            global: Arc::new(Semaphore::new(global_threshold.max(1))),
            cluster_threshold: cluster_threshold.max(1),
        }
    }

    /// A fresh limiter for one cluster operation (Sahara's per-context semaphore).
    pub fn cluster_operation(&self) -> ClusterLimiter {
        ClusterLimiter {
            global: self.global.clone(),
            cluster: Arc::new(Semaphore::new(self.cluster_threshold)),
        }
    }

    /// Global permits free right now.
    pub fn available(&self) -> usize {
        self.global.available_permits()
    }
}

/// The limit of one cluster operation, sharing the process-wide one; clones share both.
#[derive(Debug, Clone)]
pub struct ClusterLimiter {
    global: Arc<Semaphore>,
    cluster: Arc<Semaphore>,
}

impl ClusterLimiter {
    /// Waits for a slot in the cluster operation, then in the process (Sahara's order).
    pub async fn acquire(&self) -> RemotePermit {
        // The semaphores are never closed, so acquiring cannot fail.
        let cluster = self
            .cluster
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        RemotePermit {
            _global: global,
            _cluster: cluster,
        }
    }

    /// Cluster permits free right now.
    pub fn available(&self) -> usize {
        self.cluster.available_permits()
    }
}

/// One running remote operation; dropping it frees the process slot, then the cluster's.
#[derive(Debug)]
pub struct RemotePermit {
    _global: OwnedSemaphorePermit,
    _cluster: OwnedSemaphorePermit,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Runs `n` tasks that each take a permit and hold it until `expected` of them hold one at
    /// once (or, when fewer than `expected` can, for a while); returns the most that held one at
    /// once. Waiting for the peak instead of yielding a few times keeps the count independent
    /// of how busy the machine is.
    async fn peak(limiters: Vec<ClusterLimiter>, n: usize, expected: usize) -> usize {
        let active = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..n {
            let limiter = limiters[i % limiters.len()].clone();
            let (active, max) = (active.clone(), max.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limiter.acquire().await;
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
                while max.load(Ordering::SeqCst) < expected && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                // Give a permit that should not exist the time to show itself.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                active.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        max.load(Ordering::SeqCst)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn both_limits_hold() {
        let tight_global = RemoteLimiter::new(2, 70);
        let ops = vec![tight_global.cluster_operation(), tight_global.cluster_operation()];
        assert_eq!(peak(ops, 12, 2).await, 2);
        assert_eq!(tight_global.available(), 2);
        let tight_cluster = RemoteLimiter::new(100, 3);
        let op = tight_cluster.cluster_operation();
        assert_eq!(peak(vec![op.clone()], 12, 3).await, 3);
        assert_eq!((op.available(), tight_cluster.available()), (3, 100));
        // Two cluster operations each get their own 3.
        assert!(
            peak(
                vec![tight_cluster.cluster_operation(), tight_cluster.cluster_operation()],
                24,
                6
            )
            .await
                <= 6
        );
    }
}
