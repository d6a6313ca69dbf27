//! `lindung serve`: the platform's server.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::admin::{StoreArgs, runtime};
use crate::access;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "LINDUNG_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The browser's PDQ module built by `scripts/build-wasm`, served to the self-report page.
    #[arg(long, env = "LINDUNG_PDQ_WASM")]
    pdq_wasm: Option<std::path::PathBuf>,
    /// The organisation that runs the hotline (its analysts handle reports); overrides the
    /// `organisation` of hotline.json.
    #[arg(long, env = "LINDUNG_HOTLINE_ORG", value_name = "NAME")]
    hotline_org: Option<String>,
    /// A proxy (CIDR or address) whose `X-Forwarded-For` names the client; repeat for several.
    /// Without it the peer is the client, and the header is ignored.
    #[arg(
        long,
        env = "LINDUNG_TRUSTED_PROXY",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<String>,
    /// The zone pages show times in: an IANA name of the region (`Asia/Manila`) or an offset
    /// (`+08:00`). APIs and exports stay in UTC.
    #[arg(long, env = "LINDUNG_TIME_ZONE", default_value = crate::http::time_zone::DEFAULT_ZONE)]
    time_zone: String,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    // Logs name routes, ids and counts, never hashes of reported content, tokens or passwords.
    // LINDUNG_LOG sets the filter (debug adds one line per request); LINDUNG_LOG_FORMAT=json
    // writes one JSON object per line for log collectors.
    let filter = tracing_subscriber::EnvFilter::try_from_env("LINDUNG_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LINDUNG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
    let zone = crate::http::time_zone::parse_zone(&args.time_zone).map_err(anyhow::Error::msg)?;
    crate::http::time_zone::set_local_zone(zone);
    runtime()?.block_on(async {
        let location = args.store.location();
        let store = Store::open(&location).await?;
        tracing::info!(store = %location.describe(), "store open");
        let key_file = crate::store::keys::field_key_path(&args.store.data_dir);
        if crate::store::keys::key_inside(&args.store.data_dir, &key_file) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "lindung: warning: the field key {} is inside the data directory, so a copy of the directory holds both the data and its key; move it out and set LINDUNG_FIELD_KEY_FILE (or LINDUNG_FIELD_KEY)",
                key_file.display()
            );
        }
        if access::user_count(&store).await? == 0 {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "lindung: no users yet. Open the setup link below, or create the first admin with:\n  lindung user add --data-dir {} --email you@example.org --role admin --password-stdin",
                args.store.data_dir.display()
            );
        }
        let config = crate::app::ServeConfig {
            listen: args.listen,
            snapshot_dir: args.store.data_dir.join("index"),
            field_key_file: key_file,
            care_config: crate::care::plan::CareConfig::for_data_dir(&args.store.data_dir)
                .map_err(anyhow::Error::msg)?,
            pdq_wasm: args.pdq_wasm,
            trusted_proxies: crate::http::TrustedProxies::parse(&args.trusted_proxy)
                .map_err(anyhow::Error::msg)?,
            hotline_config: {
                let mut config =
                    crate::hotline::config::HotlineConfig::for_data_dir(&args.store.data_dir)
                        .map_err(anyhow::Error::msg)?;
                if let Some(name) = args.hotline_org.as_deref().map(str::trim) {
                    anyhow::ensure!(!name.is_empty(), "--hotline-org names an organisation");
                    config.organisation = name.to_owned();
                }
                config
            },
        };
        crate::app::serve(store, config).await?;
        Ok(ExitCode::SUCCESS)
    })
}
