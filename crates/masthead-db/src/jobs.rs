//! The job queue: side effects as rows, claimed by workers with a lease, so
//! a worker that dies mid-job leaves the job to be claimed again when the
//! lease runs out. Jobs must be idempotent; they may run more than once.

use chrono::{DateTime, Duration, Utc};

use crate::{Backend, Db, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Seconds to wait before retry `attempt` (1-based): 10 s doubling, at most an hour.
pub fn backoff(attempt: i64) -> Duration {
    let secs = 10i64.saturating_mul(1i64 << attempt.clamp(1, 20).saturating_sub(1)).min(3600);
    Duration::seconds(secs)
}

impl Db {
    pub async fn enqueue_job(&self, kind: &str, payload: &str, run_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<i64> {
        let id: i64 = on_write!(self, pool => sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at) VALUES ($1, $2, 'queued', 0, 8, $3, $4) RETURNING id",
        ).bind(kind).bind(payload).bind(run_at).bind(now).fetch_one(pool).await?);
        Ok(id)
    }

    /// Takes the next job that is due (or whose worker's lease ran out),
    /// leasing it for `lease`.
    pub async fn claim_job(&self, now: DateTime<Utc>, lease: Duration) -> Result<Option<Job>> {
        let until = now + lease;
        let job: Option<Job> = match self.backend() {
            // Many workers on one PostgreSQL: skip rows another worker holds.
            Backend::Postgres => on_write!(self, pool => sqlx::query_as(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2
                 WHERE id = (SELECT id FROM jobs
                             WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)
                             ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING *",
            ).bind(now).bind(until).fetch_optional(pool).await?),
            // SQLite has one writer; the single statement is atomic.
            Backend::Sqlite => on_write!(self, pool => sqlx::query_as(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2
                 WHERE id = (SELECT id FROM jobs
                             WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until < $1)
                             ORDER BY run_at, id LIMIT 1)
                 RETURNING *",
            ).bind(now).bind(until).fetch_optional(pool).await?),
        };
        Ok(job)
    }

    pub async fn complete_job(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        on_write!(self, pool => sqlx::query("UPDATE jobs SET status = 'done', locked_until = NULL, finished_at = $2 WHERE id = $1")
            .bind(id).bind(now).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Records a failure: retried later with backoff, or given up on after
    /// the last attempt (status 'failed', kept for the desk to see).
    pub async fn fail_job(&self, job: &Job, error: &str, now: DateTime<Utc>) -> Result<()> {
        let (status, run_at, finished) = if job.attempts >= job.max_attempts {
            ("failed", job.run_at, Some(now))
        } else {
            ("queued", now + backoff(job.attempts), None)
        };
        on_write!(self, pool => sqlx::query(
            "UPDATE jobs SET status = $2, run_at = $3, locked_until = NULL, last_error = $4, finished_at = $5 WHERE id = $1",
        ).bind(job.id).bind(status).bind(run_at).bind(error).bind(finished).execute(pool).await?.rows_affected());
        Ok(())
    }

    pub async fn job(&self, id: i64) -> Result<Option<Job>> {
        let j = on_read!(self, pool => sqlx::query_as("SELECT * FROM jobs WHERE id = $1").bind(id).fetch_optional(pool).await?);
        Ok(j)
    }

    /// Count of jobs per status, for the desk and /metrics.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = on_read!(self, pool => sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status").fetch_all(pool).await?);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(2).num_seconds(), 20);
        assert_eq!(backoff(4).num_seconds(), 80);
        assert_eq!(backoff(30).num_seconds(), 3600);
    }
}
