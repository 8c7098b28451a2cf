//! Cancellation of a stack action and of everything it started (nested stacks, waits):
//! a tree of tokens, where cancelling one cancels its descendants.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
    children: Mutex<Vec<Weak<Inner>>>,
}

impl Inner {
    fn cancel(&self) {
        if self.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        self.notify.notify_waiters();
        let children = std::mem::take(&mut *self.children.lock().unwrap_or_else(|e| e.into_inner()));
        for child in children.iter().filter_map(Weak::upgrade) {
            child.cancel();
        }
    }
}

/// A cancellation token; clones share it.
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelToken(cancelled={})", self.is_cancelled())
    }
}

impl CancelToken {
    /// A new, uncancelled token.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// A token cancelled with this one (and on its own).
    pub fn child(&self) -> CancelToken {
        let child = CancelToken::new();
        self.inner
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&child.inner));
        if self.is_cancelled() {
            child.cancel();
        }
        child
    }

    /// Cancels this token and its descendants.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether it is cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancelling_a_parent_wakes_its_children() {
        let parent = CancelToken::new();
        let child = parent.child();
        let grandchild = child.child();
        let waiter = tokio::spawn({
            let g = grandchild.clone();
            async move { g.cancelled().await }
        });
        assert!(!grandchild.is_cancelled());
        parent.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(child.is_cancelled() && grandchild.is_cancelled());
        assert!(parent.child().is_cancelled());
    }
}
