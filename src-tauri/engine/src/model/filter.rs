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

/// Walks the pattern once, keeping for every prefix of the name whether the pattern so far
/// matches it: O(pattern × name) steps. (Trying every split for each `**` recursively takes
/// exponential time on patterns like `**.**.**.x`, and this runs inside the write transaction.)
fn segments_match(pattern: &[&str], name: &[&str]) -> bool {
    // matched[j]: the pattern segments seen so far match the first j name segments.
    let mut matched = vec![false; name.len() + 1];
    matched[0] = true;
    for &segment in pattern {
        if segment == "**" {
            // Any number of segments: a prefix matched before matches every longer prefix.
            let mut seen = false;
            for slot in matched.iter_mut() {
                seen |= *slot;
                *slot = seen;
            }
        } else {
            for j in (1..=name.len()).rev() {
                matched[j] = matched[j - 1] && (segment == "*" || segment == name[j - 1]);
            }
            matched[0] = false;
        }
    }
    matched[name.len()]
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
        assert!(matches_any(&pats(&["**.**"]), "a"));
        assert!(matches_any(&pats(&["a.**.b.**"]), "a.b"));
        assert!(!matches_any(&pats(&["a.**.b.*"]), "a.b"));
        assert!(matches_any(&pats(&["*.**"]), "a.b.c"));
        assert!(!matches_any(&pats(&["*.**.*"]), "a"));
    }

    #[test]
    fn many_double_stars_take_linear_time() {
        // 66 `**` then a segment that never matches, against a 100-segment name: the old
        // recursive matcher tried every split, about 10^50 of them.
        let pattern = format!("{}x", "**.".repeat(66));
        assert!(validate_filter(&pats(&[&pattern])).is_ok());
        let name = vec!["a"; 100].join(".");
        assert!(is_valid_event_name(&name));
        let started = std::time::Instant::now();
        assert!(!matches_any(&vec![pattern; 50], &name));
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
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
