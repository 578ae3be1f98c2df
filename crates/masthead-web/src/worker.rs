//! The worker: claims jobs from the queue and runs them, and the scheduler
//! tick that publishes scheduled articles. On one machine both run inside
//! `masthead serve`; `masthead worker` runs them alone.

use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;
use tokio::sync::watch;

use crate::newsroom::JOB_RENDITIONS;
use crate::AppState;

/// How long a claimed job is ours before another worker may take it.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Deserialize)]
struct RenditionsJob {
    key: String,
}

/// Runs one job. Errors are recorded on the job and retried with backoff.
async fn run(state: &AppState, job: &masthead_db::Job) -> Result<(), String> {
    match job.kind.as_str() {
        JOB_RENDITIONS => {
            let p: RenditionsJob = serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
            state.media.make_renditions(&p.key).await.map_err(|e| e.to_string())?;
            state.db.mark_renditions_ready(&p.key).await.map_err(|e| e.to_string())?;
            Ok(())
        }
        "billing.event" => {
            let p: serde_json::Value = serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
            let id = p["event"].as_str().ok_or("no event id")?;
            crate::billing::process_event(state, id).await
        }
        masthead_db::search::JOB_REINDEX => crate::search::run_reindex(state, &job.payload).await,
        masthead_db::magazine::JOB_EPUB => crate::magazine::run_epub_job(state, &job.payload).await,
        crate::webhooks::JOB_DELIVER => crate::webhooks::deliver(state, &job.payload).await,
        other => Err(format!("unknown job kind {other:?}")),
    }
}

/// Claims and runs jobs until none is due. Returns how many ran.
pub async fn drain(state: &AppState) -> usize {
    drain_until(state, None).await
}

/// Like `drain`, but stops between jobs once `shutdown` is set, so a
/// long queue never holds up a shutdown.
pub async fn drain_until(state: &AppState, shutdown: Option<&watch::Receiver<bool>>) -> usize {
    let mut n = 0;
    loop {
        if shutdown.is_some_and(|s| *s.borrow()) {
            return n;
        }
        let job = match state.db.claim_job(Utc::now(), LEASE).await {
            Ok(Some(j)) => j,
            Ok(None) => return n,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a job");
                return n;
            }
        };
        n += 1;
        let result = run(state, &job).await;
        let now = Utc::now();
        let stored = match &result {
            Ok(()) => state.db.complete_job(job.id, now).await,
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                state.db.fail_job(&job, e, now).await
            }
        };
        if let Err(e) = stored {
            tracing::error!(job = job.id, error = %e, "could not record a job's outcome");
        }
        metrics::counter!("masthead_jobs_total", "kind" => job.kind.clone(), "ok" => result.is_ok().to_string()).increment(1);
    }
}

/// The scheduler's tick: publishes scheduled articles that are due (and
/// drops cached pages everywhere if any). Only the leader runs it.
pub async fn tick(state: &AppState) {
    metrics::counter!("masthead_scheduler_ticks_total", "node" => state.node_id.clone()).increment(1);
    match state.db.publish_due(Utc::now()).await {
        Ok(ids) if !ids.is_empty() => {
            tracing::info!(count = ids.len(), "published scheduled articles");
            state.invalidate();
            for id in ids {
                match state.db.article_by_id(id).await {
                    Ok(a) => crate::webhooks::emit_logged(state, crate::webhooks::ARTICLE_PUBLISHED, crate::api::dto::ArticleEvent::of(&a).json()).await,
                    Err(e) => tracing::warn!(article = id, error = %e, "could not read a published article for its webhook"),
                }
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
    }
    if let Err(e) = crate::magazine::weekly_tick(state, Utc::now()).await {
        tracing::warn!(error = %e, "proposing the week's magazine issue failed");
    }
    crate::delivery::tick(state, Utc::now()).await;
    if let Err(e) = crate::billing::grace_reminders(state, Utc::now()).await {
        tracing::warn!(error = %e, "grace-period reminders failed");
    }
    prune_rate_limits(state).await;
}

/// Forgets rate-limit windows more than a day old, at most every ten minutes.
async fn prune_rate_limits(state: &AppState) {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let now = Utc::now();
    let last = LAST.load(std::sync::atomic::Ordering::Relaxed);
    if now.timestamp() - last < 600 {
        return;
    }
    LAST.store(now.timestamp(), std::sync::atomic::Ordering::Relaxed);
    if let Err(e) = state.db.prune_rate_limits(now - chrono::Duration::days(1)).await {
        tracing::warn!(error = %e, "could not prune rate limits");
    }
}

/// Runs the worker, and the scheduler while this node leads, until
/// `shutdown` changes.
pub async fn run_forever(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(crate::cluster::lead(state.clone(), shutdown.clone()));
    // Newsletter sends run beside the job queue, so a long send does not hold up other jobs.
    let sending = tokio::spawn(crate::delivery::run_forever(state.clone(), shutdown.clone()));
    let mut interval = tokio::time::interval(Duration::from_millis(500));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {
                if state.leadership.is_leader() {
                    tick(&state).await;
                }
                drain_until(&state, Some(&shutdown)).await;
            }
            _ = shutdown.changed() => {
                let _ = sending.await;
                return;
            }
        }
    }
}
