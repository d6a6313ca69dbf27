//! `lindung serve`: loads the matcher, then serves until Ctrl-C or SIGTERM, following the change
//! log so that writes made through other processes sharing the database match here within a
//! second, and running the hotline's notices and checks on their schedule.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::{AppState, Parts, router};
use crate::banks::matcher::Matcher;
use crate::care::plan::CareConfig;
use crate::hotline::config::HotlineConfig;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Where the server keeps its files, and what it serves besides the store.
#[derive(Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// The matcher's snapshot directory.
    pub snapshot_dir: std::path::PathBuf,
    /// The field-encryption key file, used when `LINDUNG_FIELD_KEY` is not set.
    pub field_key_file: std::path::PathBuf,
    /// The care configuration (`care.json`): services and assessment forms.
    pub care_config: CareConfig,
    /// The browser's PDQ module; without it the self-report page says it is unavailable.
    pub pdq_wasm: Option<std::path::PathBuf>,
    /// The hotline configuration (`hotline.json`).
    pub hotline_config: HotlineConfig,
    /// The proxies allowed to say who the client is (`--trusted-proxy`).
    pub trusted_proxies: crate::http::TrustedProxies,
}

pub async fn serve(store: Store, config: ServeConfig) -> anyhow::Result<()> {
    let ServeConfig {
        listen,
        snapshot_dir,
        field_key_file,
        care_config,
        pdq_wasm,
        hotline_config,
        trusted_proxies,
    } = config;
    // The legal-framework template (`LINDUNG_LEGAL_FRAMEWORK`): a broken file stops the server
    // here, with what is wrong in it.
    crate::policy::legal::template::install_from_environment().map_err(anyhow::Error::msg)?;
    let pdq_wasm = pdq_wasm.and_then(|path| match std::fs::read(&path) {
        Ok(bytes) => Some(bytes.into()),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "PDQ module not served; the self-report page cannot hash");
            None
        }
    });
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    // Scripts and tests read the address from this line (port 0 picks a free port).
    announce(&format!("lindung listening on http://{bound}"));
    let (matcher, from_snapshot) = match Matcher::open_snapshot(&store, &snapshot_dir).await {
        Ok(loaded) => {
            announce(&format!(
                "index loaded from snapshot: {} PDQ hashes at change-log position {}",
                loaded.pdq_len(),
                loaded.last_seq()
            ));
            (Arc::new(loaded), true)
        }
        Err(e) => {
            if snapshot_dir.exists() {
                tracing::warn!(error = %e, "index snapshot not used; loading from the database");
            }
            (Arc::new(Matcher::default()), false)
        }
    };
    let mut state = AppState::new(Parts {
        store: store.clone(),
        matcher: Arc::clone(&matcher),
        fields: Arc::new(FieldCipher::from_environment_or_file(&field_key_file)?),
        care_config,
        hotline_config,
        mailer: crate::mail::Mailer::from_environment().map_err(anyhow::Error::msg)?,
        pdq_wasm,
        trusted_proxies,
    })
    .map_err(anyhow::Error::msg)?;
    state.metrics = crate::http::metrics::install();
    let resealing = protect_stored_data(&store, &state.care.fields).await?;
    if crate::access::user_count(&store).await? == 0 {
        let secret = crate::access::new_secret("")?;
        state
            .accounts
            .open_setup(crate::access::token_digest(&secret));
        announce(&format!(
            "no users yet: create the first admin at http://{bound}/setup?token={secret}"
        ));
    }
    if let Err(crate::hotline::HotlineError::NotConfigured(name)) =
        state.hotline.organisation_id().await
    {
        announce(&format!(
            "lindung: {}",
            crate::hotline::not_configured(&name)
        ));
    }
    let follower = tokio::spawn(follow_change_log(
        store.clone(),
        Arc::clone(&matcher),
        snapshot_dir.clone(),
        from_snapshot,
    ));
    let scheduler = tokio::spawn(crate::hotline::takedown::schedule(state.hotline.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    follower.abort();
    resealing.abort();
    scheduler.abort();
    // Catch up, then keep the index for a fast next start.
    if matcher.sync(&store).await.is_ok()
        && let Err(e) = matcher.save_snapshot(&store, &snapshot_dir).await
    {
        tracing::warn!(error = %e, "cannot write the index snapshot");
    }
    Ok(())
}

/// Keeps the matcher up to date with the change log; after the first full load (slow at
/// scale), saves a snapshot for the next start.
async fn follow_change_log(
    store: Store,
    matcher: Arc<Matcher>,
    snapshot_dir: std::path::PathBuf,
    mut saved: bool,
) {
    loop {
        match matcher.sync(&store).await {
            Ok(_) if !saved => {
                saved = true;
                if let Err(e) = matcher.save_snapshot(&store, &snapshot_dir).await {
                    tracing::warn!(error = %e, "cannot write the index snapshot");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "index sync failed; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A line for whoever started the server. A closed stdout (a supervisor that read the address
/// and went away) must not bring the server down, so write errors are ignored.
/// Before the first request: refuses an audit chain with unkeyed entries, seals care values an
/// earlier version kept in the clear, and starts sealing again, in the background, what older
/// field keys sealed (every key reads meanwhile).
async fn protect_stored_data(
    store: &crate::store::Store,
    fields: &std::sync::Arc<crate::store::fields::FieldCipher>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    // Unkeyed entries are from before the upgrade, or were rewritten by someone without the
    // key; the server adds nothing to such a chain until the operator has looked. Keying is
    // their act, never automatic: done at every start, it would also key a rebuilt chain.
    if crate::access::audit::starts_unkeyed(store).await? {
        anyhow::bail!(
            "the audit log holds entries that are not keyed: if this deployment ran an earlier version until now, run `lindung audit key` (once: it checks the old chain and keys it), then start again; if it ran a keyed version before, the log was rewritten: keep a copy and investigate"
        );
    }
    if !crate::access::audit::oldest_entry_fits_the_key(store).await? {
        anyhow::bail!(
            "the field key loaded is not this store's: the audit log was keyed with another key. Put the key file kept with this store's backup in place (LINDUNG_FIELD_KEY_FILE, LINDUNG_FIELD_KEY, or field.key in the data directory) and start again"
        );
    }
    let sealed = crate::care::seal_plaintext(store, fields).await?;
    if sealed > 0 {
        tracing::info!(sealed, "care values kept in the clear are now encrypted");
    }
    Ok(tokio::spawn(reseal_in_background(
        store.clone(),
        std::sync::Arc::clone(fields),
    )))
}

/// Seals every value an older field key sealed under the newest key.
async fn reseal_in_background(
    store: crate::store::Store,
    cipher: std::sync::Arc<crate::store::fields::FieldCipher>,
) {
    let columns = [
        crate::care::SEALED_COLUMNS,
        crate::selfreport::SEALED_COLUMNS,
        crate::hotline::SEALED_COLUMNS,
        crate::policy::SEALED_COLUMNS,
    ]
    .concat();
    match crate::store::reseal::reseal(&store, &cipher, &columns).await {
        Ok(done) if done.resealed > 0 || done.unreadable > 0 => tracing::info!(
            resealed = done.resealed,
            unreadable = done.unreadable,
            key = cipher.current_id(),
            "stored values sealed under the newest field key"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "re-encryption under the newest key stopped"),
    }
}

fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
