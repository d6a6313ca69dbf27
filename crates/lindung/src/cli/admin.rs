//! Store administration from the command line: users, tokens and the audit log. These exact
//! forms are used by operators' scripts.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::access::audit::{self, Actor};
use crate::access::{self, Role};
use crate::store::{Store, StoreLocation};

/// Where the store is; shared by every command that touches it.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory: the SQLite database and other files live here.
    #[arg(
        long,
        env = "LINDUNG_DATA_DIR",
        default_value = "lindung-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://user:password@host/db); without it, SQLite under the data
    /// directory is used.
    #[arg(
        long,
        env = "LINDUNG_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

impl StoreArgs {
    pub fn location(&self) -> StoreLocation {
        StoreLocation::new(&self.data_dir, self.database_url.clone())
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(args: &StoreArgs) -> Result<Store> {
    Ok(Store::open(&args.location()).await?)
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    email: String,
    /// admin, analyst, case_worker, supervisor, law_enforcement, researcher or platform.
    #[arg(long)]
    role: String,
    /// Organisation, created if it does not exist yet [default: the default organisation].
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// Read the password from standard input (the only way: never on the command line).
    #[arg(long, required = true)]
    password_stdin: bool,
}

pub fn user(command: UserCommand) -> Result<ExitCode> {
    let UserCommand::Add(args) = command;
    let role: Role = match args.role.parse() {
        Ok(role) => role,
        Err(message) => bail!(message),
    };
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    runtime()?.block_on(async {
        let store = open(&args.store).await?;
        let created = access::add_user(
            &store,
            &Actor::cli("user add"),
            &args.email,
            role,
            args.org.as_deref(),
            password,
        )
        .await?;
        eprintln!("added {} ({role}), user id {}", created.email, created.id);
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (only the token, once).
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    email: String,
    /// What the token is for, such as the client's name.
    #[arg(long)]
    name: String,
}

pub fn token(command: TokenCommand) -> Result<ExitCode> {
    let TokenCommand::Create(args) = command;
    runtime()?.block_on(async {
        let store = open(&args.store).await?;
        let secret =
            access::create_token(&store, &Actor::cli("token create"), &args.email, &args.name)
                .await?;
        println!("{secret}");
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain and name the first broken entry.
    Verify(AuditVerifyArgs),
    /// Once, after upgrading from a version whose chain was not keyed: check the unkeyed chain
    /// and, if it is intact, hash it again under the audit key.
    Key(AuditVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub fn audit(command: AuditCommand) -> Result<ExitCode> {
    let (args, key_first) = match command {
        AuditCommand::Verify(args) => (args, false),
        AuditCommand::Key(args) => (args, true),
    };
    runtime()?.block_on(async {
        let store = open(&args.store).await?;
        if key_first {
            let keyed = audit::key_the_chain(&store).await?;
            println!("{keyed} unkeyed entries hashed again under the audit key");
        }
        let report = audit::verify(&store).await?;
        match report.first_broken {
            None => {
                println!("audit log intact: {} entries", report.entries);
                Ok(ExitCode::SUCCESS)
            }
            Some((-1, reason)) => {
                println!("audit log BROKEN after entry {}: {reason}", report.entries);
                Ok(ExitCode::from(1))
            }
            Some((id, reason)) => {
                println!("audit log BROKEN at entry {id}: {reason}");
                Ok(ExitCode::from(1))
            }
        }
    })
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The backup file to write (must not exist yet). It is itself a SQLite database: copy it
    /// to `lindung.db` in an empty data directory to restore.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open(&args.store).await?;
        store.backup_sqlite(&args.out).await?;
        eprintln!("backup written to {}", args.out.display());
        Ok(ExitCode::SUCCESS)
    })
}
