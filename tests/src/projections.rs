//! Read-model databases for the projection tests: the store's own database, or a separate one
//! on the same backend (for runs compared side by side).

use ledger_projections::Db;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::backends::{Backend, Postgres, Sqlite};
use crate::postgres::TestDatabase;

/// A backend whose database can hold read models.
pub trait ReadModelBackend: Backend {
    /// The read-model database in the store's own database.
    fn read_db(&self) -> Db;
    /// Another, empty database on the same backend.
    fn other_db() -> impl std::future::Future<Output = OtherDb> + Send;
}

/// A separate read-model database; call [`OtherDb::cleanup`] at the end.
pub struct OtherDb {
    /// The database.
    pub db: Db,
    pg: Option<TestDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl OtherDb {
    /// Removes the database.
    pub async fn cleanup(self) {
        if let Db::Postgres(pool) = &self.db {
            pool.close().await;
        }
        if let Some(pg) = self.pg {
            pg.drop_database().await;
        }
    }
}

impl ReadModelBackend for Sqlite {
    fn read_db(&self) -> Db {
        Db::Sqlite(self.store().pool().clone())
    }
    async fn other_db() -> OtherDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("read.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("open SQLite read-model file");
        OtherDb {
            db: Db::Sqlite(pool),
            pg: None,
            _dir: Some(dir),
        }
    }
}

impl ReadModelBackend for Postgres {
    fn read_db(&self) -> Db {
        Db::Postgres(self.store().pool().clone())
    }
    async fn other_db() -> OtherDb {
        let pg = TestDatabase::create().await;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&pg.url)
            .await
            .expect("connect to the read-model database");
        OtherDb {
            db: Db::Postgres(pool),
            pg: Some(pg),
            _dir: None,
        }
    }
}
