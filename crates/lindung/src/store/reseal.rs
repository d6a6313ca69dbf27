//! Re-encryption after a key rotation. Each domain lists the columns it seals; after
//! `lindung keys rotate`, the server seals every value under the newest key, in the background
//! and in small batches, while every key still opens its own values. A value is replaced only if
//! it is still the one read (a write made meanwhile wins), and a value no key opens is left
//! alone and counted.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::Store;
use super::fields::FieldCipher;

/// A column of sealed values, and how each value's context is named: `context:<value of
/// context_from>` (say `care_cases.identity:<reference>`). The table's key is `id`.
#[derive(Clone, Copy, Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub context: &'static str,
    pub context_from: &'static str,
}

/// What a pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Values now sealed under the newest key.
    pub resealed: u64,
    /// Values no key opens (damaged, or sealed under a key that is gone).
    pub unreadable: u64,
}

const BATCH: u64 = 200;

fn placeholders(backend: DbBackend, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect()
}

/// Seals every value of `columns` that an older key sealed under the newest key.
pub async fn reseal(
    store: &Store,
    cipher: &FieldCipher,
    columns: &[SealedColumn],
) -> Result<Resealed, DbErr> {
    let mut done = Resealed::default();
    for column in columns {
        let counted = reseal_column(store, cipher, column, InTheClear::Unreadable).await?;
        done.resealed += counted.resealed;
        done.unreadable += counted.unreadable;
    }
    Ok(done)
}

/// Seals what an earlier version kept in the clear in `columns` (and, on the way, what older
/// keys sealed): for columns that were once stored unsealed, before the first request.
pub async fn seal_values_in_the_clear(
    store: &Store,
    cipher: &FieldCipher,
    columns: &[SealedColumn],
) -> Result<Resealed, DbErr> {
    let mut done = Resealed::default();
    for column in columns {
        let counted = reseal_column(store, cipher, column, InTheClear::Seal).await?;
        done.resealed += counted.resealed;
        done.unreadable += counted.unreadable;
    }
    Ok(done)
}

/// What to do with a value that is not sealed at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InTheClear {
    /// Seal it: the column was once stored in the clear.
    Seal,
    /// Count it as unreadable: the column was always sealed, so this is damage.
    Unreadable,
}

async fn reseal_column(
    store: &Store,
    cipher: &FieldCipher,
    c: &SealedColumn,
    in_the_clear: InTheClear,
) -> Result<Resealed, DbErr> {
    let db = store.db();
    let backend = db.get_database_backend();
    let current = format!("{}:%", cipher.current_id());
    let mut done = Resealed::default();
    let mut after = 0i64;
    loop {
        let p = placeholders(backend, 2);
        // Names come from the domains' constant lists, never from input.
        let select = format!(
            "SELECT id, CAST({from} AS TEXT) AS context_value FROM {table} \
             WHERE {col} IS NOT NULL AND {col} NOT LIKE {p0} AND id > {p1} ORDER BY id LIMIT {BATCH}",
            from = c.context_from,
            col = c.column,
            table = c.table,
            p0 = p[0],
            p1 = p[1],
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                select,
                [Value::from(current.clone()), Value::from(after)],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let context_value: String = row.try_get("", "context_value")?;
            after = id;
            // One value at a time: a column may hold whole evidence files.
            let one = format!(
                "SELECT {col} AS sealed FROM {table} WHERE id = {p0}",
                col = c.column,
                table = c.table,
                p0 = placeholders(backend, 1)[0],
            );
            let Some(found) = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    one,
                    [Value::from(id)],
                ))
                .await?
            else {
                continue;
            };
            let Ok(sealed) = found.try_get::<String>("", "sealed") else {
                continue;
            };
            let context = format!("{}:{context_value}", c.context);
            let opened = if FieldCipher::is_sealed(&sealed) {
                cipher.open_bytes(&context, &sealed).ok()
            } else if in_the_clear == InTheClear::Seal {
                Some(sealed.as_bytes().to_vec())
            } else {
                None
            };
            let Some(plain) = opened else {
                done.unreadable += 1;
                continue;
            };
            let fresh = cipher
                .seal_bytes(&context, &plain)
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            let p = placeholders(backend, 3);
            let update = format!(
                "UPDATE {table} SET {col} = {p0} WHERE id = {p1} AND {col} = {p2}",
                table = c.table,
                col = c.column,
                p0 = p[0],
                p1 = p[1],
                p2 = p[2],
            );
            let changed = db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    update,
                    [Value::from(fresh), Value::from(id), Value::from(sealed)],
                ))
                .await?;
            done.resealed += changed.rows_affected();
        }
    }
}
