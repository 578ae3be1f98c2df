//! Running as many nodes on one PostgreSQL: a content change on one node
//! drops the caches of all (LISTEN/NOTIFY), and exactly one node runs the
//! scheduler at a time (an advisory lock that PostgreSQL releases when the
//! leader's connection dies, so another node takes over within seconds).
//! On SQLite there is one node, which always leads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::AppState;

pub const CHANNEL: &str = "masthead_invalidate";
/// The scheduler's advisory lock key.
const SCHEDULER_LOCK: i64 = 0x4d41_5354_4845_4144;

/// Tells every node (this one included) that content changed.
pub async fn announce_change(state: &AppState) {
    if let Err(e) = state.db.notify(CHANNEL, &state.node_id).await {
        tracing::warn!(error = %e, "could not notify other nodes of a change");
    }
}

/// Tells every other node that settings changed: they re-read them (the
/// paywall, plans, site, navigation, ads) and drop their caches.
pub async fn announce_reload(state: &AppState) {
    if let Err(e) = state.db.notify(CHANNEL, &format!("{RELOAD}{}", state.node_id)).await {
        tracing::warn!(error = %e, "could not notify other nodes of a settings change");
    }
}

/// The payload prefix of a settings change notice.
const RELOAD: &str = "reload:";

/// What a notice asks of this node.
fn on_notice(state: &AppState, payload: &str) {
    if let Some(id) = payload.strip_prefix(crate::reader_cache::NOTICE) {
        match id.parse::<i64>() {
            Ok(id) => state.readers.forget(id),
            Err(_) => state.readers.clear(),
        }
        return;
    }
    match payload.strip_prefix(RELOAD) {
        // Our own settings change: this node reloaded already.
        Some(node) if node == state.node_id => {}
        Some(_) => {
            let s = state.clone();
            tokio::spawn(async move {
                if let Err(e) = s.reload_local().await {
                    tracing::warn!(error = %e, "could not re-read settings changed on another node");
                    s.invalidate_local();
                }
            });
        }
        None => state.invalidate_local(),
    }
}

/// Listens for changes announced by any node and drops this node's caches.
/// Reconnects after errors; runs until shutdown.
pub async fn listen(state: AppState, mut shutdown: watch::Receiver<bool>) {
    if state.db.postgres_pool().is_none() {
        return;
    }
    loop {
        let mut listener = match state.db.listen(CHANNEL).await {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for changes; retrying");
                tokio::select! { _ = tokio::time::sleep(Duration::from_secs(2)) => continue, _ = shutdown.changed() => return }
            }
        };
        // Anything may have changed while we were not listening.
        on_notice(&state, &format!("{RELOAD}elsewhere"));
        loop {
            tokio::select! {
                n = listener.recv() => match n {
                    Ok(payload) => on_notice(&state, &payload),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the change listener; reconnecting");
                        break;
                    }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Whether this node currently runs the scheduler.
#[derive(Default)]
pub struct Leadership(AtomicBool);

impl Leadership {
    pub fn is_leader(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, v: bool) {
        self.0.store(v, Ordering::Relaxed);
    }
}

/// Keeps trying to become the scheduler's leader, and holds the lock for
/// as long as this node lives.
pub async fn lead(state: AppState, mut shutdown: watch::Receiver<bool>) {
    if state.db.postgres_pool().is_none() {
        state.leadership.set(true);
        return;
    }
    loop {
        match state.db.try_leader_lock(SCHEDULER_LOCK).await {
            Ok(Some(mut lock)) => {
                tracing::info!(node = %state.node_id, "this node now runs the scheduler");
                state.leadership.set(true);
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {
                            if !lock.alive().await {
                                tracing::warn!("lost the scheduler lock's connection");
                                state.leadership.set(false);
                                break;
                            }
                        }
                        _ = shutdown.changed() => {
                            state.leadership.set(false);
                            lock.release().await;
                            return;
                        }
                    }
                }
            }
            Ok(None) => state.leadership.set(false),
            Err(e) => {
                state.leadership.set(false);
                tracing::warn!(error = %e, "cannot try the scheduler lock");
            }
        }
        tokio::select! { _ = tokio::time::sleep(Duration::from_secs(1)) => {}, _ = shutdown.changed() => return }
    }
}
