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
