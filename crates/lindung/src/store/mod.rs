//! The database: where it is, connecting, and migrations. The same code runs on SQLite (the
//! default, one file under the data directory) and PostgreSQL (several server processes share
//! it). Domains keep their own entities and queries; this module only opens the store.

pub mod fields;
pub mod keys;
mod migrations;
pub mod reseal;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use migrations::{GENESIS_HASH, Migrator};

/// Where the store lives: a PostgreSQL URL if given, else `lindung.db` under the data directory.
#[derive(Clone, Debug)]
pub struct StoreLocation {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
}

impl StoreLocation {
    pub fn new(data_dir: impl Into<PathBuf>, database_url: Option<String>) -> Self {
        StoreLocation {
            data_dir: data_dir.into(),
            database_url: database_url.filter(|u| !u.trim().is_empty()),
        }
    }

    /// The SQLite file used when no database URL is given.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("lindung.db")
    }

    fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.sqlite_path().display()),
        }
    }

    /// The location with any password in the URL hidden, for messages and logs.
    pub fn describe(&self) -> String {
        match &self.database_url {
            None => format!("SQLite {}", self.sqlite_path().display()),
            Some(url) => match url.split_once("://") {
                Some((scheme, rest)) => match rest.rsplit_once('@') {
                    Some((_credentials, host)) => format!("{scheme}://***@{host}"),
                    None => url.clone(),
                },
                None => url.clone(),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database ({location}): {source}")]
    Connect { location: String, source: DbErr },
    #[error("cannot migrate the database ({location}): {source}")]
    Migrate { location: String, source: DbErr },
    #[error("the field key: {0}")]
    Key(#[from] fields::FieldError),
    #[error(
        "the field key is missing: this store already holds data sealed and audited under its field key, but {path} does not exist and LINDUNG_FIELD_KEY is not set. Put the key file kept with this store's backup at {path} (or name it with LINDUNG_FIELD_KEY_FILE); a new key would read none of the data, so none is made"
    )]
    KeyMissing { path: PathBuf },
}

/// How long a request waits for a PostgreSQL connection (a free one, or a new one while the
/// server cannot be reached) before it fails as unavailable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether `error` says the database cannot be reached (it is down, restarting, or the pool
/// cannot get a connection in time), rather than that a statement failed: the caller may try
/// again shortly, and HTTP answers 503 with `Retry-After`.
pub fn unreachable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    match error {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            Error::Io(_)
            | Error::Tls(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed => true,
            // PostgreSQL's connection exceptions (08…) and operator interventions (57P…: shut
            // down, crashed, starting up).
            Error::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

/// An open, migrated store.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Keys the audit chain; derived from the field key, never stored in the database.
    audit_key: std::sync::Arc<[u8; 32]>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn open(location: &StoreLocation) -> Result<Store, StoreError> {
        if location.database_url.is_none() {
            ensure_dir(&location.data_dir)?;
        }
        let mut options = ConnectOptions::new(location.url());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .max_connections(if location.database_url.is_some() {
                16
            } else {
                8
            });
        if location.database_url.is_some() {
            // While PostgreSQL is down the pool keeps retrying to connect until this runs out:
            // a request then fails fast with 503 (see `unreachable`) instead of hanging. SQLite
            // cannot go away; its waits are the busy timeout's, below.
            options.acquire_timeout(ACQUIRE_TIMEOUT);
        }
        options.map_sqlx_sqlite_opts(|o| {
            // WAL lets readers run beside the writer; the timeout makes a busy writer wait
            // instead of failing; foreign keys are off by default in SQLite. Deleted and
            // overwritten values are zeroed on disk (`secure_delete`), so a value sealed or
            // withdrawn does not linger in free pages of the file.
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("secure_delete", "ON")
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
        });
        let db = Database::connect(options)
            .await
            .map_err(|source| StoreError::Connect {
                location: location.describe(),
                source,
            })?;
        Migrator::up(&db, None)
            .await
            .map_err(|source| StoreError::Migrate {
                location: location.describe(),
                source,
            })?;
        let key_path = keys::field_key_path(&location.data_dir);
        // A missing key file is made afresh only for a store with nothing in it yet: a restored
        // database without its key must not get a new key that reads none of it.
        if std::env::var_os("LINDUNG_FIELD_KEY").is_none()
            && !key_path.exists()
            && holds_audit_entries(&db)
                .await
                .map_err(|source| StoreError::Migrate {
                    location: location.describe(),
                    source,
                })?
        {
            return Err(StoreError::KeyMissing { path: key_path });
        }
        let field_key = keys::load_field_key(&key_path)?;
        let audit_key = keys::audit_key(&field_key);
        let deployment = deployment_id(&db)
            .await
            .map_err(|source| StoreError::Migrate {
                location: location.describe(),
                source,
            })?;
        keys::register_audit_key(&deployment, audit_key);
        Ok(Store {
            db,
            audit_key: std::sync::Arc::new(audit_key),
        })
    }

    /// The key of the audit chain.
    pub fn audit_key(&self) -> &[u8; 32] {
        &self.audit_key
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads, then writes (an audited read does), fails
    /// with "database is locked" at its first write when another connection committed in
    /// between, and the busy timeout cannot help it; an immediate one waits its turn at the
    /// start instead. PostgreSQL ignores the mode: its row locks need nothing of the kind.
    pub async fn write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
    }

    /// Begins a transaction that only reads, for a consistent view of several queries: on
    /// SQLite a deferred one, which reads a snapshot and never holds up a writer (a long read
    /// begun with [`Store::write`] would hold every writer back for its whole length).
    pub async fn read(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Deferred),
            })
            .await
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}

/// The name of the `chain_heads` row that holds the deployment's id.
const DEPLOYMENT_ROW: &str = "deployment";

/// The deployment's id: random, made when the database is first opened, kept in the database.
/// It names which audit key is this database's; it is not a secret.
/// Whether anything was ever audited here: every write is, so this tells a used store.
async fn holds_audit_entries(db: &DatabaseConnection) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Query;
    let probe = Query::select()
        .column("id")
        .from("audit_log")
        .limit(1)
        .to_owned();
    Ok(db.query_one(&probe).await?.is_some())
}

async fn deployment_id(db: &DatabaseConnection) -> Result<String, DbErr> {
    use sea_orm::sea_query::{OnConflict, Query};
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| DbErr::Custom(format!("no randomness: {e}")))?;
    let insert = Query::insert()
        .into_table("chain_heads")
        .columns(["name", "entries", "last_hash"])
        .values_panic([
            DEPLOYMENT_ROW.into(),
            0i64.into(),
            crate::helpers::hex(&random).into(),
        ])
        .on_conflict(OnConflict::column("name").do_nothing().to_owned())
        .to_owned();
    db.execute(&insert).await?;
    deployment_of(db).await
}

/// The deployment id, read inside any connection or transaction.
pub async fn deployment_of(db: &impl ConnectionTrait) -> Result<String, DbErr> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{Expr, Query};
    let read = Query::select()
        .column("last_hash")
        .from("chain_heads")
        .and_where(Expr::col("name").eq(DEPLOYMENT_ROW))
        .to_owned();
    db.query_one(&read)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the deployment id".into()))?
        .try_get("", "last_hash")
}

/// Locks the named chain (see the `chain_heads` table) for the rest of the transaction and
/// returns its entry count and last hash.
pub async fn lock_chain(
    txn: &sea_orm::DatabaseTransaction,
    chain: &str,
) -> Result<(i64, String), DbErr> {
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{ExprTrait, QueryResult};
    let bump = Query::update()
        .table("chain_heads")
        .value("entries", Expr::col("entries").add(1))
        .and_where(Expr::col("name").eq(chain))
        .to_owned();
    txn.execute(&bump).await?;
    let read = Query::select()
        .columns(["entries", "last_hash"])
        .from("chain_heads")
        .and_where(Expr::col("name").eq(chain))
        .to_owned();
    let row: QueryResult = txn
        .query_one(&read)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("chain {chain}")))?;
    Ok((row.try_get("", "entries")?, row.try_get("", "last_hash")?))
}

/// Records the new last hash of a chain locked with [`lock_chain`].
pub async fn advance_chain(
    txn: &sea_orm::DatabaseTransaction,
    chain: &str,
    last_hash: &str,
) -> Result<(), DbErr> {
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::{Expr, Query};
    let update = Query::update()
        .table("chain_heads")
        .value("last_hash", last_hash)
        .and_where(Expr::col("name").eq(chain))
        .to_owned();
    txn.execute(&update).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "online backup is for the SQLite store; back up PostgreSQL with pg_dump or its own tools"
    )]
    NotSqlite,
    #[error("{0} already exists; choose a new file")]
    Exists(PathBuf),
    #[error("backup failed: {0}")]
    Db(#[from] DbErr),
    #[error("backup failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Store {
    /// A consistent copy of a SQLite store, taken while it is in use (`VACUUM INTO` reads one
    /// snapshot of the database). Written under a temporary name and renamed when complete.
    pub async fn backup_sqlite(&self, out: &Path) -> Result<(), BackupError> {
        if self.backend() != DbBackend::Sqlite {
            return Err(BackupError::NotSqlite);
        }
        if out.exists() {
            return Err(BackupError::Exists(out.to_owned()));
        }
        let partial = out.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let statement = sea_orm::Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [partial.to_string_lossy().into_owned().into()],
        );
        self.db.execute_raw(statement).await?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, out)?;
        Ok(())
    }
}

fn ensure_dir(path: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(path).map_err(|source| StoreError::DataDir {
        path: path.to_owned(),
        source,
    })
}
