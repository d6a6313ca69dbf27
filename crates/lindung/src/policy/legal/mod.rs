//! The legal-framework self-assessment on ASEAN's three tiers: the checklist template as data
//! ([`template`]), dated versions of a country's answers and their comparison
//! ([`assessments`]), consultations with children and young people ([`consultations`]), the
//! printable report and its CSV ([`report`]), the JSON API ([`api`]) and the pages ([`pages`]),
//! the hotline's national law table beside the tier-1 items among them.

pub mod api;
pub mod assessments;
pub mod consultations;
mod pages;
pub mod report;
pub mod template;

use std::borrow::Cow;

use axum::extract::FromRef;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::DbErr;

use super::{LANGUAGES, PolicyContext, PolicyError};
use crate::http::{ApiError, AuthContext, Caller, Chrome, Endpoint};

/// The countries an assessment or a consultation may be of: the ASEAN members and
/// Timor-Leste, ISO 3166-1 alpha-2.
pub const COUNTRIES: &[&str] = &[
    "BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL",
];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    let mut all = api::endpoints();
    all.extend(pages::endpoints());
    all
}

/// What the self-assessment refuses. Its fields are named by path (`answers.<item>.status`),
/// which the domain-wide [`PolicyError`] cannot carry.
#[derive(Debug, thiserror::Error)]
pub enum LegalError {
    /// A field is invalid; the first value names it.
    #[error("{1}")]
    Invalid(Cow<'static, str>, String),
    /// A date later than today (the field): a version or a consultation dated ahead would be
    /// "the latest" forever.
    #[error("{0}: a date not later than today")]
    Future(&'static str),
    #[error("no such assessment")]
    NotFound,
    /// Another version of the same country was saved at the same moment.
    #[error("another version of this country was saved at the same moment; save again")]
    VersionTaken,
    #[error("the checklist template: {0}")]
    Template(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

impl LegalError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        LegalError::Invalid(Cow::Borrowed(field), message.into())
    }

    /// The field at fault, for a form shown again.
    pub fn field(&self) -> Option<&str> {
        match self {
            LegalError::Invalid(field, _) => Some(field),
            LegalError::Future(field) => Some(field),
            _ => None,
        }
    }
}

impl From<PolicyError> for LegalError {
    fn from(error: PolicyError) -> Self {
        match error {
            PolicyError::Invalid(field, message) => LegalError::invalid(field, message),
            PolicyError::NotFound => LegalError::NotFound,
            PolicyError::Db(e) => LegalError::Db(e),
            PolicyError::Conflict(e) | PolicyError::Internal(e) => LegalError::Internal(e),
        }
    }
}

impl From<LegalError> for ApiError {
    fn from(error: LegalError) -> Self {
        match error {
            LegalError::Invalid(field, message) => ApiError::invalid(field, message),
            LegalError::Future(field) => ApiError::invalid(field, error.to_string()),
            LegalError::NotFound => ApiError::not_found(error.to_string()),
            LegalError::VersionTaken => {
                ApiError::new(StatusCode::CONFLICT, "version_taken", error.to_string())
            }
            LegalError::Db(e) => e.into(),
            LegalError::Template(e) | LegalError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A country of the list, as stored.
pub(crate) fn check_country(field: &'static str, value: &str) -> Result<&'static str, LegalError> {
    let upper = value.trim().to_ascii_uppercase();
    COUNTRIES
        .iter()
        .find(|c| **c == upper)
        .copied()
        .ok_or_else(|| {
            LegalError::invalid(field, format!("{field} is one of {}", COUNTRIES.join(", ")))
        })
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn parse_date(field: &'static str, value: &str) -> Result<time::Date, LegalError> {
    let refuse = || LegalError::invalid(field, format!("{field} is a date, YYYY-MM-DD"));
    let value = value.trim();
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(refuse());
    }
    let number = |range: std::ops::Range<usize>| value[range].parse::<u16>().map_err(|_| refuse());
    let month = u8::try_from(number(5..7)?)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(refuse)?;
    let day = u8::try_from(number(8..10)?).map_err(|_| refuse())?;
    time::Date::from_calendar_date(i32::from(number(0..4)?), month, day).map_err(|_| refuse())
}

/// A calendar date, `YYYY-MM-DD`, not later than today anywhere on Earth (UTC+14: a date
/// that is already today somewhere is accepted, one later is not).
pub(crate) fn past_date(field: &'static str, value: &str) -> Result<time::Date, LegalError> {
    let date = parse_date(field, value)?;
    if date > latest_today() {
        return Err(LegalError::Future(field));
    }
    Ok(date)
}

/// Today where the day begins first (UTC+14).
fn latest_today() -> time::Date {
    (crate::helpers::now() + time::Duration::hours(14)).date()
}

/// The template in use.
pub(crate) fn template() -> Result<std::sync::Arc<template::Template>, LegalError> {
    template::current().map_err(LegalError::Template)
}

/// The chrome of a policy page, in the caller's language among the policy pages' languages
/// (English, Thai, Vietnamese).
pub(crate) fn chrome(caller: &Caller, headers: &HeaderMap, title_key: &str) -> Chrome {
    Chrome::for_caller_among(caller, headers, title_key, LANGUAGES)
}
