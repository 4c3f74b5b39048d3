//! Event filters: which event names an endpoint subscribes to.
//!
//! A pattern is dot-separated. A literal segment matches itself, `*` matches
//! exactly one segment and `**` matches any number of segments (even none),
//! so `**` alone subscribes to everything.

use super::validation::ValidationError;

pub const MATCH_ALL: &str = "**";
const MAX_PATTERNS: usize = 50;
const MAX_PATTERN_LEN: usize = 200;

/// True when `event_name` matches at least one of `patterns`.
pub fn matches_any(patterns: &[String], event_name: &str) -> bool {
    let name: Vec<&str> = event_name.split('.').collect();
    patterns.iter().any(|pattern| {
        let pattern: Vec<&str> = pattern.split('.').collect();
        segments_match(&pattern, &name)
    })
}

fn segments_match(pattern: &[&str], name: &[&str]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((&"**", rest)) => (0..=name.len()).any(|skip| segments_match(rest, &name[skip..])),
        Some((first, rest)) => match name.split_first() {
            Some((segment, name_rest)) => (*first == "*" || first == segment) && segments_match(rest, name_rest),
            None => false,
        },
    }
}

/// Checks a filter list as sent by a client.
pub fn validate_filter(patterns: &[String]) -> Result<(), ValidationError> {
    const FIELD: &str = "event_filter";
    if patterns.is_empty() {
        return Err(ValidationError::new(FIELD, "needs at least one pattern; use \"**\" for every event"));
    }
    if patterns.len() > MAX_PATTERNS {
        return Err(ValidationError::new(FIELD, format!("at most {MAX_PATTERNS} patterns")));
    }
    for pattern in patterns {
        validate_pattern(pattern).map_err(|why| ValidationError::new(FIELD, format!("pattern {pattern:?} {why}")))?;
    }
    Ok(())
}

fn validate_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern.is_empty() || pattern.len() > MAX_PATTERN_LEN {
        return Err("must be 1 to 200 characters");
    }
    for segment in pattern.split('.') {
        let wildcard = segment == "*" || segment == "**";
        let literal = !segment.is_empty() && segment.bytes().all(is_name_byte_except_dot);
        if !wildcard && !literal {
            return Err(
                "has an empty segment or a character outside A-Z a-z 0-9 _ : - (use * or ** for a whole segment)",
            );
        }
    }
    Ok(())
}

fn is_name_byte_except_dot(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b':' | b'-')
}

/// Event names follow `^[A-Za-z0-9_.:-]{1,200}$`.
pub fn is_valid_event_name(name: &str) -> bool {
    (1..=200).contains(&name.len()) && name.bytes().all(|b| b == b'.' || is_name_byte_except_dot(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn exact_star_and_double_star() {
        assert!(matches_any(&pats(&["order.created"]), "order.created"));
        assert!(!matches_any(&pats(&["order.created"]), "order.updated"));
        assert!(matches_any(&pats(&["order.*"]), "order.updated"));
        assert!(!matches_any(&pats(&["order.*"]), "order.item.added"));
        assert!(!matches_any(&pats(&["order.*"]), "order"));
        assert!(matches_any(&pats(&["order.**"]), "order.item.added"));
        assert!(matches_any(&pats(&["**"]), "anything.at.all"));
        assert!(matches_any(&pats(&["*.created"]), "user.created"));
        assert!(matches_any(&pats(&["user.*", "order.*"]), "order.paid"));
        assert!(matches_any(&pats(&["**.failed"]), "payment.card.failed"));
    }

    #[test]
    fn patterns_are_validated() {
        assert!(validate_filter(&pats(&["order.*", "**"])).is_ok());
        assert!(validate_filter(&[]).is_err());
        assert!(validate_filter(&pats(&["order..x"])).is_err());
        assert!(validate_filter(&pats(&["ord*er"])).is_err());
        assert!(validate_filter(&pats(&["a b"])).is_err());
    }

    #[test]
    fn event_names() {
        assert!(is_valid_event_name("order.created:v2-beta_1"));
        assert!(!is_valid_event_name(""));
        assert!(!is_valid_event_name("order created"));
        assert!(!is_valid_event_name(&"a".repeat(201)));
    }
}
