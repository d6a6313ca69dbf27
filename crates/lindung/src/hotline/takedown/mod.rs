//! Notice and takedown: notices to hosting providers by email, resent until the content is
//! gone and escalated to the partner hotline of the hosting country; removal checks that fetch
//! each URL on a schedule; and the evidence vault's retention. Email is sent outside any
//! transaction and recorded after, so a crash can at worst repeat a notice, never lose one.

mod checks;
mod notices;
mod vault;

pub use checks::{
    ANALYST_CONFIRMED, CheckOutcome, Holds, check_url, confirm_removal, probe, still_holds,
};
pub use notices::{DueRun, NoticeOutcome, notice_text, run_due, send_notices};
pub use vault::{purge_expired_evidence, reveal_evidence, store_evidence};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter};

use crate::helpers::now;
use crate::hotline::entities::lease;
use crate::hotline::{HotlineContext, HotlineError};
use crate::store::Store;

/// Who may run due work: one run at a time in this process (the mutex), and one process at a
/// time on the database (a lease row, so that several servers never resend the same notice).
#[derive(Debug)]
pub struct Runs {
    local: tokio::sync::Mutex<()>,
    /// This process's lease holder id.
    holder: String,
}

/// A run longer than this lets another process take over (a crashed holder never blocks).
const LEASE: time::Duration = time::Duration::minutes(15);
const LEASE_NAME: &str = "hotline.run_due";

impl Runs {
    pub fn new() -> Result<Self, String> {
        Ok(Runs {
            local: tokio::sync::Mutex::new(()),
            holder: crate::access::new_secret("run-").map_err(|e| e.to_string())?,
        })
    }

    /// Holds the local lock for a manual action (sending first notices).
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.local.lock().await
    }

    /// Takes (or renews) the lease; false while another process holds it.
    pub async fn take_lease(&self, store: &Store) -> Result<bool, DbErr> {
        let at = now();
        if lease::Entity::find_by_id(LEASE_NAME)
            .one(store.db())
            .await?
            .is_none()
        {
            // Two processes may race to create it; the loser's insert fails and it competes
            // below like everyone else.
            let _ = lease::ActiveModel {
                name: Set(LEASE_NAME.into()),
                holder: Set(String::new()),
                // Born expired, so that the first taker gets it.
                until: Set(at - time::Duration::seconds(1)),
            }
            .insert(store.db())
            .await;
        }
        let taken = lease::Entity::update_many()
            .col_expr(lease::Column::Holder, self.holder.clone().into())
            .col_expr(lease::Column::Until, (at + LEASE).into())
            .filter(lease::Column::Name.eq(LEASE_NAME))
            .filter(
                sea_orm::Condition::any()
                    .add(lease::Column::Until.lt(at))
                    .add(lease::Column::Holder.eq(self.holder.as_str())),
            )
            .exec(store.db())
            .await?;
        Ok(taken.rows_affected == 1)
    }

    pub async fn release_lease(&self, store: &Store) -> Result<(), DbErr> {
        lease::Entity::update_many()
            .col_expr(
                lease::Column::Until,
                (now() - time::Duration::seconds(1)).into(),
            )
            .filter(lease::Column::Name.eq(LEASE_NAME))
            .filter(lease::Column::Holder.eq(self.holder.as_str()))
            .exec(store.db())
            .await?;
        Ok(())
    }

    /// Runs [`run_due`] if no other process is running it; `None` when one is.
    pub async fn run_due(&self, ctx: &HotlineContext) -> Result<Option<DueRun>, HotlineError> {
        let _local = self.local.lock().await;
        if !self.take_lease(&ctx.store).await? {
            return Ok(None);
        }
        let run = run_due(ctx).await;
        self.release_lease(&ctx.store).await?;
        run.map(Some)
    }
}

/// Runs due work every `checks.run_every_seconds` while the server is up.
pub async fn schedule(ctx: HotlineContext) {
    let period = std::time::Duration::from_secs(ctx.config.checks.run_every_seconds.max(1));
    loop {
        tokio::time::sleep(period).await;
        match ctx.runs.run_due(&ctx).await {
            Ok(Some(run)) if run.notices_resent + run.escalations + run.urls_removed > 0 => {
                tracing::info!(
                    resent = run.notices_resent,
                    escalated = run.escalations,
                    checked = run.urls_checked,
                    removed = run.urls_removed,
                    "hotline notices and checks"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "hotline notices and checks failed"),
        }
    }
}
