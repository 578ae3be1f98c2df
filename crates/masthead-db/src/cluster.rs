//! PostgreSQL's features for running many nodes on one database: change
//! notices (LISTEN/NOTIFY) and a session advisory lock for the one node
//! that leads. They exist only on PostgreSQL; on SQLite there is one node.

use sqlx::postgres::PgListener;
use sqlx::Connection;

use crate::{Db, Result};

/// Notices on one channel, from every node.
pub struct ChangeListener(PgListener);

impl ChangeListener {
    /// Waits for the next notice; its payload names the node that sent it.
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}

/// A held advisory lock. PostgreSQL releases it when this connection ends,
/// so a node that dies gives up leadership by itself.
pub struct LeaderLock(sqlx::PgConnection);

impl LeaderLock {
    /// True while the connection holding the lock is alive.
    pub async fn alive(&mut self) -> bool {
        sqlx::query("SELECT 1").execute(&mut self.0).await.is_ok()
    }

    pub async fn release(self) {
        let _ = self.0.close().await;
    }
}

impl Db {
    /// Sends a notice to every listening node (PostgreSQL only; a no-op on SQLite).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        if let Some(pool) = self.postgres_pool() {
            sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(pool).await?;
        }
        Ok(())
    }

    /// Listens on a channel; None on SQLite.
    pub async fn listen(&self, channel: &str) -> Result<Option<ChangeListener>> {
        let Some(pool) = self.postgres_pool() else { return Ok(None) };
        let mut l = PgListener::connect_with(pool).await?;
        l.listen(channel).await?;
        Ok(Some(ChangeListener(l)))
    }

    /// Tries once to take the advisory lock `key` on a connection of its
    /// own. Ok(None) when another node holds it (or on SQLite).
    pub async fn try_leader_lock(&self, key: i64) -> Result<Option<LeaderLock>> {
        let Some(pool) = self.postgres_pool() else { return Ok(None) };
        let opts = pool.connect_options().as_ref().clone();
        let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut conn).await?;
        if got {
            Ok(Some(LeaderLock(conn)))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }
}
