//! Users, tokens and the audit chain on a real SQLite file and a real PostgreSQL server.

use lindung::access::audit::{self, Actor};
use lindung::access::{self, AccessError, Role};
use sea_orm::ConnectionTrait;

use crate::support;

#[tokio::test]
async fn users_tokens_and_their_audit_trail() {
    for t in support::stores("users_tokens").await {
        let store = &t.store;
        let actor = Actor::cli("test");
        let admin = access::add_user(
            store,
            &actor,
            "Ana@Hotline.example",
            Role::Admin,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("add admin");
        assert_eq!(admin.email, "ana@hotline.example", "{}", t.name);
        assert!(matches!(
            access::add_user(
                store,
                &actor,
                "ana@hotline.example",
                Role::Analyst,
                None,
                "another long passphrase"
            )
            .await,
            Err(AccessError::EmailTaken(_))
        ));
        assert!(matches!(
            access::add_user(
                store,
                &actor,
                "b@hotline.example",
                Role::Analyst,
                None,
                "short"
            )
            .await,
            Err(AccessError::Invalid("password", _))
        ));
        let platform = access::add_user(
            store,
            &actor,
            "api@company.example",
            Role::Platform,
            Some("Company"),
            "a long enough passphrase",
        )
        .await
        .expect("add platform user");
        assert_ne!(
            platform.organisation_id, admin.organisation_id,
            "{}",
            t.name
        );

        let secret = access::create_token(store, &actor, "api@company.example", "uploader")
            .await
            .expect("token");
        assert!(secret.starts_with("lndg_") && secret.len() == 69);
        let principal = access::authenticate_token(store, &secret)
            .await
            .expect("db")
            .expect("valid token");
        assert_eq!(principal.role, Role::Platform);
        assert_eq!(principal.user_id, platform.id);
        assert!(
            access::authenticate_token(store, "lndg_0000")
                .await
                .expect("db")
                .is_none()
        );
        // Only the hash is stored.
        let stored: i64 = store
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                store.backend(),
                format!("SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = '{secret}'"),
            ))
            .await
            .expect("query")
            .expect("row")
            .try_get("", "n")
            .expect("count");
        assert_eq!(stored, 0);
        assert!(
            access::revoke_token(store, &actor, 1)
                .await
                .expect("revoke")
        );
        assert!(
            access::authenticate_token(store, &secret)
                .await
                .expect("db")
                .is_none()
        );

        // organisation x2, user x2, token create, token revoke.
        let report = audit::verify(store).await.expect("verify");
        assert_eq!(report.entries, 6, "{}", t.name);
        assert_eq!(report.first_broken, None, "{}", t.name);
    }
}

#[tokio::test]
async fn audit_verify_names_the_first_edited_or_deleted_entry() {
    for t in support::stores("audit_tamper").await {
        let store = &t.store;
        let actor = Actor::cli("test");
        for i in 0..5 {
            access::add_user(
                store,
                &actor,
                &format!("u{i}@x.example"),
                Role::Analyst,
                None,
                "a long enough passphrase",
            )
            .await
            .expect("add user");
        }
        // 1 organisation + 5 users.
        assert_eq!(audit::verify(store).await.expect("verify").entries, 6);
        let exec = |sql: &str| {
            let statement = sea_orm::Statement::from_string(store.backend(), sql.to_owned());
            async move { store.db().execute_raw(statement).await.expect("tamper") }
        };

        exec("UPDATE audit_log SET details = '{\"role\":\"admin\"}' WHERE id = 4").await;
        let report = audit::verify(store).await.expect("verify");
        assert_eq!(
            report.first_broken.as_ref().map(|b| b.0),
            Some(4),
            "{}: {report:?}",
            t.name
        );
        assert!(report.first_broken.expect("broken").1.contains("edited"));

        exec("DELETE FROM audit_log WHERE id = 3").await;
        let report = audit::verify(store).await.expect("verify");
        assert_eq!(
            report.first_broken.as_ref().map(|b| b.0),
            Some(4),
            "{}: {report:?}",
            t.name
        );
        assert!(report.first_broken.expect("broken").1.contains("deleted"));
    }
}

#[tokio::test]
async fn deleting_the_newest_entries_is_caught() {
    for t in support::stores("audit_truncate").await {
        let store = &t.store;
        let actor = Actor::cli("test");
        access::add_user(
            store,
            &actor,
            "a@x.example",
            Role::Admin,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("add user");
        let statement = sea_orm::Statement::from_string(
            store.backend(),
            "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)".to_owned(),
        );
        store.db().execute_raw(statement).await.expect("tamper");
        let report = audit::verify(store).await.expect("verify");
        assert!(report.first_broken.is_some(), "{}: {report:?}", t.name);
    }
}

/// Wrong passwords tried at once each count (the count is kept by the database, not read and
/// written back), and the attempt that reaches the limit locks the account; locked, the right
/// password gets the wrong password's answer.
#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_made_at_once_each_count() {
    use lindung::access::entities::user;
    use lindung::access::sessions::{self, LoginOutcome, MAX_FAILED_LOGINS};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for t in support::stores("failed_logins").await {
        let store = t.store.clone();
        access::add_user(
            &store,
            &Actor::cli("test"),
            "ana@hotline.example",
            Role::Analyst,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("add user");
        let attempts = (MAX_FAILED_LOGINS - 1) as usize;
        let tries: Vec<_> = (0..attempts)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    sessions::login(&store, "ana@hotline.example", "wrong wrong wrong", None).await
                })
            })
            .collect();
        for attempt in tries {
            let outcome = attempt.await.expect("join").expect("login");
            assert!(matches!(outcome, LoginOutcome::Invalid), "{}", t.name);
        }
        let account = user::Entity::find()
            .filter(user::Column::Email.eq("ana@hotline.example"))
            .one(store.db())
            .await
            .expect("find")
            .expect("user");
        assert_eq!(
            account.failed_logins,
            MAX_FAILED_LOGINS - 1,
            "{}: every attempt counted",
            t.name
        );
        assert!(account.locked_until.is_none(), "{}", t.name);
        let last = sessions::login(&store, "ana@hotline.example", "wrong again", None)
            .await
            .expect("login");
        assert!(matches!(last, LoginOutcome::Invalid));
        let right = sessions::login(
            &store,
            "ana@hotline.example",
            "a long enough passphrase",
            None,
        )
        .await
        .expect("login");
        assert!(
            matches!(right, LoginOutcome::Invalid),
            "{}: locked, the right password is refused like a wrong one",
            t.name
        );
    }
}

/// Rewrites the audit chain as someone with only database access could: edits the first
/// entry, hashes every entry again the way an unkeyed chain is hashed (SHA-256 over the entry's
/// fields and the hash before it), and moves the chain head.
async fn rebuild_without_the_key(store: &lindung::store::Store) {
    use lindung::access::entities::audit_entry;
    use lindung::helpers::{rfc3339, sha256_hex};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
    let entries = audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .all(store.db())
        .await
        .expect("entries");
    let mut prev = lindung::store::GENESIS_HASH.to_owned();
    for (i, mut entry) in entries.into_iter().enumerate() {
        if i == 0 {
            entry.details = r#"{"role":"law_enforcement"}"#.to_owned();
        }
        let canonical = serde_json::json!([
            prev,
            rfc3339(entry.at),
            entry.actor_user_id,
            entry.actor,
            entry.action,
            entry.record_type,
            entry.record_id,
            entry.source,
            entry.details,
        ]);
        let hash = sha256_hex(canonical.to_string().as_bytes());
        audit_entry::ActiveModel {
            id: Set(entry.id),
            details: Set(entry.details),
            prev_hash: Set(prev.clone()),
            entry_hash: Set(hash.clone()),
            ..Default::default()
        }
        .update(store.db())
        .await
        .expect("rewrite");
        prev = hash;
    }
    store
        .db()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            store.db().get_database_backend(),
            match store.db().get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE chain_heads SET last_hash = $1 WHERE name = 'audit'"
                }
                _ => "UPDATE chain_heads SET last_hash = ? WHERE name = 'audit'",
            },
            [prev.into()],
        ))
        .await
        .expect("move the head");
}

/// The chain is keyed with a key that is not in the database: a chain rebuilt by someone with
/// only database access is caught, naming the first entry; `lindung audit verify` says so too.
/// A chain written unkeyed by an earlier version is keyed once, when it is intact.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_chain_cannot_be_rebuilt_without_its_key() {
    for t in support::stores("audit_keyed").await {
        let actor = Actor::cli("test");
        for email in ["one@example.org", "two@example.org"] {
            access::add_user(
                &t.store,
                &actor,
                email,
                Role::Analyst,
                None,
                "a long enough passphrase",
            )
            .await
            .expect("add");
        }
        assert_eq!(
            audit::verify(&t.store).await.expect("verify").first_broken,
            None
        );
        // What an earlier version wrote: an intact, unkeyed chain. It is keyed once.
        rebuild_without_the_key(&t.store).await;
        let first: i64 = {
            use lindung::access::entities::audit_entry;
            use sea_orm::{EntityTrait, QueryOrder};
            audit_entry::Entity::find()
                .order_by_asc(audit_entry::Column::Id)
                .one(t.store.db())
                .await
                .expect("first")
                .expect("an entry")
                .id
        };
        let report = audit::verify(&t.store).await.expect("verify");
        assert_eq!(
            report.first_broken.map(|(id, _)| id),
            Some(first),
            "{}: an unkeyed chain does not verify as keyed",
            t.name
        );
        let keyed = audit::key_the_chain(&t.store).await.expect("key");
        let after = audit::verify(&t.store).await.expect("verify");
        assert_eq!(after.first_broken, None, "{}", t.name);
        assert_eq!(keyed, after.entries, "{}: every entry keyed", t.name);
        // The key is not in the database: the same intact chain checked with another key fails.
        let (ok, out, _) = support::lindung_on(&t.location, &["audit", "verify"]);
        assert!(ok && out.contains("intact"), "{}: {out}", t.name);
        let other_key = "ab".repeat(32);
        let out = support::lindung_command(&t.location, &["audit", "verify"])
            .env("LINDUNG_FIELD_KEY", &other_key)
            .output()
            .expect("run");
        assert!(
            !out.status.success() && String::from_utf8_lossy(&out.stdout).contains("BROKEN"),
            "{}: another key must not verify the chain",
            t.name
        );
        // An edit covered by a chain rebuilt without the key is caught, at the edited entry.
        rebuild_without_the_key(&t.store).await;
        access::add_user(
            &t.store,
            &actor,
            "three@example.org",
            Role::Analyst,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("add");
        let report = audit::verify(&t.store).await.expect("verify");
        assert_eq!(
            report.first_broken.map(|(id, _)| id),
            Some(first),
            "{}",
            t.name
        );
        // Unkeyed entries beside keyed ones are never keyed: that would launder the rewrite.
        assert_eq!(
            audit::key_the_chain(&t.store).await.expect("key"),
            0,
            "{}",
            t.name
        );
        // The command line checks with the key too, and keys nothing by itself.
        let (ok, out, _) = support::lindung_on(&t.location, &["audit", "verify"]);
        assert!(!ok && out.contains("BROKEN"), "{}: {out}", t.name);
    }
}
