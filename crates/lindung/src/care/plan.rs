//! What a deployment configures (extra services, assessment forms: a data file, not code), and
//! the case plan built from it: assessments answered and services planned and delivered.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::entities::{assessment, service};
use super::sealed::Sealed;
use super::{CareContext, CareError, SERVICES, ServiceStatus, load_full};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::helpers::rfc3339;
use crate::store::fields::FieldCipher;

/// The default configuration, replaced by `<data-dir>/care.json` when that file exists.
pub const DEFAULT_CONFIG: &str = include_str!("../../defaults/care.json");

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Question {
    pub id: String,
    /// `yes_no`, `scale` (1 to 5), `choice` or `text`.
    pub kind: String,
    #[serde(default)]
    pub options: Vec<String>,
    /// By language code.
    pub label: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Form {
    pub id: String,
    pub title: BTreeMap<String, String>,
    pub questions: Vec<Question>,
}

/// A deployment's care configuration.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CareConfig {
    /// Services offered besides the ten core services.
    #[serde(default)]
    pub extra_services: Vec<String>,
    pub forms: Vec<Form>,
}

impl CareConfig {
    /// Parses and checks a configuration: ids unique, kinds known, choices with options.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: CareConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut form_ids = std::collections::HashSet::new();
        for form in &config.forms {
            if !form_ids.insert(form.id.as_str()) {
                return Err(format!("form {:?} is defined twice", form.id));
            }
            let mut question_ids = std::collections::HashSet::new();
            for q in &form.questions {
                if !question_ids.insert(q.id.as_str()) {
                    return Err(format!("form {:?}: question {:?} twice", form.id, q.id));
                }
                let known = matches!(q.kind.as_str(), "yes_no" | "scale" | "text" | "choice");
                if !known || (q.kind == "choice" && q.options.is_empty()) {
                    return Err(format!(
                        "form {:?}: question {:?} has kind {:?}; use yes_no, scale, text, or choice with options",
                        form.id, q.id, q.kind
                    ));
                }
            }
        }
        Ok(config)
    }

    /// The configuration of a data directory: its `care.json`, or the default.
    pub fn for_data_dir(data_dir: &std::path::Path) -> Result<Self, String> {
        match std::fs::read_to_string(data_dir.join("care.json")) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("care.json: {e}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::parse(DEFAULT_CONFIG),
            Err(e) => Err(format!("care.json: {e}")),
        }
    }

    pub fn services(&self) -> Vec<String> {
        SERVICES
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.extra_services.iter().cloned())
            .collect()
    }

    /// Checks answers against a form: every key a question of it, every value of its kind.
    fn check(
        &self,
        form_id: &str,
        answers: &serde_json::Map<String, Value>,
    ) -> Result<(), CareError> {
        let form =
            self.forms.iter().find(|f| f.id == form_id).ok_or_else(|| {
                CareError::Invalid("form", format!("no assessment form {form_id:?}"))
            })?;
        for (key, value) in answers {
            let q = form
                .questions
                .iter()
                .find(|q| &q.id == key)
                .ok_or_else(|| {
                    CareError::Invalid("answers", format!("{form_id} has no question {key:?}"))
                })?;
            let fits = match q.kind.as_str() {
                "yes_no" => value.is_boolean(),
                "scale" => value.as_u64().is_some_and(|v| (1..=5).contains(&v)),
                "choice" => value
                    .as_str()
                    .is_some_and(|v| q.options.iter().any(|o| o == v)),
                _ => value.as_str().is_some_and(|v| v.chars().count() <= 2000),
            };
            if !fits {
                return Err(CareError::Invalid(
                    "answers",
                    format!("{key}: not a valid {} answer", q.kind),
                ));
            }
        }
        Ok(())
    }
}

fn answers_context(case_id: i64) -> String {
    format!("care_assessments.answers:{case_id}")
}

/// An assessment form's answers, by question id.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The form's id (see `/api/v1/care/catalogue`).
    pub form: String,
    /// By question id: `true`/`false` for `yes_no`, 1 to 5 for `scale`, one of the options for
    /// `choice`, a string for `text`.
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, Value>,
}

/// Records an assessment's answers (encrypted: they describe the child).
pub async fn record_assessment(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    input: &Answers,
) -> Result<assessment::Model, CareError> {
    let CareContext {
        store,
        fields: cipher,
        config,
        ..
    } = ctx;
    let (form, answers) = (input.form.as_str(), &input.answers);
    config.check(form, answers)?;
    let txn = store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.assessment.add").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let sealed = cipher
        .seal(
            &answers_context(found.id),
            &Value::Object(answers.clone()).to_string(),
        )
        .map_err(|e| CareError::Internal(e.to_string()))?;
    let added = assessment::ActiveModel {
        case_id: Set(found.id),
        form: Set(form.to_owned()),
        answers: Set(sealed),
        author_id: Set(principal.user_id),
        at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "care.assessment.add",
            "care_assessment",
            added.id.to_string(),
        )
        .detail("case_id", found.id)
        .detail("form", form),
    )
    .await?;
    Ok(added)
}

/// Plans a service for a case, from the deployment's catalogue.
pub async fn plan_service(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    service_id: &str,
    provider: &str,
) -> Result<service::Model, CareError> {
    let CareContext { store, config, .. } = ctx;
    if !config.services().iter().any(|s| s == service_id) {
        return Err(CareError::Invalid(
            "service",
            format!("service is one of {}", config.services().join(", ")),
        ));
    }
    let provider = provider.trim();
    if provider.is_empty() || provider.chars().count() > 200 {
        return Err(CareError::Invalid(
            "provider",
            "name the provider (up to 200 characters)".into(),
        ));
    }
    let txn = store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.service.plan").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let at = now();
    let planned = service::ActiveModel {
        case_id: Set(found.id),
        service: Set(service_id.to_owned()),
        provider: Set(provider.to_owned()),
        status: Set(ServiceStatus::Planned),
        planned_at: Set(at),
        updated_at: Set(at),
        delivered_at: Set(None),
        outcome: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.service.plan", "care_service", planned.id.to_string())
            .detail("case_id", found.id)
            .detail("service", service_id),
    )
    .await?;
    Ok(planned)
}

/// Moves a planned service on (referred, accepted, in progress, delivered or declined), with
/// its outcome.
pub async fn update_service(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    service_id: i64,
    status: ServiceStatus,
    outcome: Option<&str>,
) -> Result<service::Model, CareError> {
    let txn = ctx.store.write().await?;
    if let Err(e) = load_full(&txn, actor, principal, case_id, "care.service.update").await {
        return audit::keep_refusal(txn, e).await;
    }
    let found = service::Entity::find_by_id(service_id)
        .one(&txn)
        .await?
        .filter(|s| s.case_id == case_id)
        .ok_or(CareError::NotFound)?;
    let mut update: service::ActiveModel = found.into();
    update.status = Set(status);
    update.updated_at = Set(now());
    if status == ServiceStatus::Delivered {
        update.delivered_at = Set(Some(now()));
    }
    if let Some(outcome) = outcome {
        let outcome: String = outcome.chars().take(2000).collect();
        update.outcome = Set(Some(Sealed::ServiceOutcome.seal(
            &ctx.fields,
            case_id,
            &outcome,
        )?));
    }
    let updated = update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "care.service.update",
            "care_service",
            service_id.to_string(),
        )
        .detail("case_id", case_id)
        .detail("status", status),
    )
    .await?;
    Ok(updated)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    pub id: i64,
    pub service: String,
    pub provider: String,
    pub status: ServiceStatus,
    pub planned_at: String,
    pub delivered_at: Option<String>,
    pub outcome: Option<String>,
}

impl ServiceView {
    /// The view of a planned service, its outcome decrypted.
    pub fn open(cipher: &FieldCipher, s: service::Model) -> Result<Self, CareError> {
        let outcome = s
            .outcome
            .as_deref()
            .map(|sealed| Sealed::ServiceOutcome.open(cipher, s.case_id, sealed))
            .transpose()?;
        Ok(ServiceView {
            id: s.id,
            service: s.service,
            provider: s.provider,
            status: s.status,
            planned_at: rfc3339(s.planned_at),
            delivered_at: s.delivered_at.map(rfc3339),
            outcome,
        })
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub id: i64,
    pub form: String,
    pub answers: Value,
    pub author_id: i32,
    pub at: String,
}

pub(super) async fn services_of(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    case_id: i64,
) -> Result<Vec<ServiceView>, CareError> {
    service::Entity::find()
        .filter(service::Column::CaseId.eq(case_id))
        .order_by_asc(service::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|s| ServiceView::open(cipher, s))
        .collect()
}

pub(super) async fn assessments_of(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    case_id: i64,
) -> Result<Vec<AssessmentView>, CareError> {
    let rows = assessment::Entity::find()
        .filter(assessment::Column::CaseId.eq(case_id))
        .order_by_asc(assessment::Column::Id)
        .all(txn)
        .await?;
    rows.into_iter()
        .map(|a| {
            let json = cipher
                .open(&answers_context(case_id), &a.answers)
                .map_err(|e| CareError::Internal(e.to_string()))?;
            Ok(AssessmentView {
                id: a.id,
                form: a.form,
                answers: serde_json::from_str(&json).unwrap_or_default(),
                author_id: a.author_id,
                at: rfc3339(a.at),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_covers_the_five_areas() {
        let config = CareConfig::parse(DEFAULT_CONFIG).expect("default parses");
        let ids: Vec<&str> = config.forms.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            ["safety", "health", "psychosocial", "family", "education"]
        );
        for form in &config.forms {
            for q in &form.questions {
                assert!(
                    q.label.contains_key("en") && q.label.contains_key("th"),
                    "{}",
                    q.id
                );
            }
        }
        assert_eq!(config.services().len(), 10);
    }

    #[test]
    fn bad_configurations_and_answers_are_refused() {
        assert!(CareConfig::parse(r#"{"forms":[{"id":"a","title":{},"questions":[{"id":"q","kind":"slider","label":{}}]}]}"#).is_err());
        assert!(CareConfig::parse(r#"{"forms":[{"id":"a","title":{},"questions":[]},{"id":"a","title":{},"questions":[]}]}"#).is_err());
        let config = CareConfig::parse(DEFAULT_CONFIG).expect("default");
        let answers = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(
            config
                .check(
                    "safety",
                    &answers(serde_json::json!({"safe_where_living": true}))
                )
                .is_ok()
        );
        assert!(
            config
                .check(
                    "safety",
                    &answers(serde_json::json!({"safe_where_living": "yes"}))
                )
                .is_err()
        );
        assert!(
            config
                .check("psychosocial", &answers(serde_json::json!({"distress": 9})))
                .is_err()
        );
        assert!(
            config
                .check(
                    "psychosocial",
                    &answers(serde_json::json!({"self_harm_risk": "maybe"}))
                )
                .is_err()
        );
        assert!(
            config
                .check(
                    "safety",
                    &answers(serde_json::json!({"favourite_colour": "red"}))
                )
                .is_err()
        );
        assert!(
            config
                .check("nope", &answers(serde_json::json!({})))
                .is_err()
        );
    }
}
