//! Reference numbers and PINs for people without an account (self-reports, public hotline
//! reports): random digits, argon2-hashed PINs, and a lock after repeated wrong PINs.

use time::OffsetDateTime;

/// Wrong PINs for one record before it is locked for [`LOCK_MINUTES`].
pub const MAX_FAILED_PINS: i32 = 5;
pub const LOCK_MINUTES: i64 = 60;

/// `count` uniformly random decimal digits.
pub fn random_digits(count: usize) -> Result<String, String> {
    let mut digits = String::with_capacity(count);
    while digits.len() < count {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
        // 250 is the largest multiple of 10 below 256: dropping larger bytes keeps digits uniform.
        for byte in bytes.into_iter().filter(|b| *b < 250) {
            if digits.len() < count {
                digits.push(char::from(b'0' + byte % 10));
            }
        }
    }
    Ok(digits)
}

/// A reference: `prefix`, then 12 random digits in groups, not sequential, so that numbers
/// cannot be guessed from one another.
pub fn new_reference(prefix: &str) -> Result<String, String> {
    let d = random_digits(12)?;
    Ok(format!("{prefix}-{}-{}-{}", &d[0..4], &d[4..8], &d[8..12]))
}

/// A reference as people type it (`hr 1234 5678 9012`, `HR-123456789012`) in the one form it is
/// stored in (`HR-1234-5678-9012`): two letters and twelve digits, whatever the spaces, dashes
/// and case. Anything else is returned trimmed, to be looked up as it is (and not found).
pub fn normalise_reference(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let (prefix, digits) = kept.split_at(kept.len().min(2));
    if prefix.len() == 2
        && prefix.chars().all(|c| c.is_ascii_uppercase())
        && digits.len() == 12
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        format!(
            "{prefix}-{}-{}-{}",
            &digits[0..4],
            &digits[4..8],
            &digits[8..12]
        )
    } else {
        text.trim().to_owned()
    }
}

/// What a record keeps about its PIN.
#[derive(Clone, Copy, Debug)]
pub struct PinState<'a> {
    pub pin_hash: &'a str,
    pub failed_pins: i32,
    pub locked_until: Option<OffsetDateTime>,
}

/// The outcome of a PIN check, with what the record must store afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinCheck {
    /// Right; `reset` when an earlier wrong count must be cleared.
    Right {
        reset: bool,
    },
    /// Wrong (or locked): store this count and lock.
    Wrong {
        failed_pins: i32,
        locked_until: Option<OffsetDateTime>,
    },
    Locked,
}

/// Checks `pin`; wrong PINs count towards a lock, whoever guesses.
pub async fn check(state: PinState<'_>, pin: &str, at: OffsetDateTime) -> PinCheck {
    if state.locked_until.is_some_and(|until| until > at) {
        // The same work as a check, so that timing does not tell a locked record.
        super::verify_nothing(pin).await;
        return PinCheck::Locked;
    }
    if super::verify_password(pin.trim(), state.pin_hash).await {
        return PinCheck::Right {
            reset: state.failed_pins > 0 || state.locked_until.is_some(),
        };
    }
    let failed = state.failed_pins + 1;
    if failed >= MAX_FAILED_PINS {
        PinCheck::Wrong {
            failed_pins: 0,
            locked_until: Some(at + time::Duration::minutes(LOCK_MINUTES)),
        }
    } else {
        PinCheck::Wrong {
            failed_pins: failed,
            locked_until: None,
        }
    }
}

/// Spends the time of a real check, so that timing does not tell which references exist.
pub async fn check_nothing(pin: &str) {
    super::verify_nothing(pin).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_as_people_type_them() {
        for typed in [
            "HR-1234-5678-9012",
            "hr-1234-5678-9012",
            " hr 1234 5678 9012 ",
            "HR123456789012",
            "Hr 1234-56789012",
        ] {
            assert_eq!(normalise_reference(typed), "HR-1234-5678-9012", "{typed:?}");
        }
        assert_eq!(normalise_reference(" something else "), "something else");
        assert_eq!(normalise_reference("HR-1234-5678-901"), "HR-1234-5678-901");
    }
}
