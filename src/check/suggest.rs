//! "Did you mean": the closest candidate by edit distance, when close enough.

/// Levenshtein distance over characters, bounded to short names.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `name`, if it is a plausible typo of it.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| {
            let d = distance(&lower, &c.to_lowercase());
            // A candidate that extends or is extended by the name (a prefix) also counts.
            let prefix =
                c.len() > 2 && name.len() > 2 && (c.starts_with(name) || name.starts_with(c));
            if d <= limit {
                Some((d, c))
            } else if prefix {
                Some((limit + 1, c))
            } else {
                None
            }
        })
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        assert_eq!(
            did_you_mean("encrpytion", ["encryption", "vendor"]),
            Some("encryption")
        );
        assert_eq!(
            did_you_mean("confidental", ["public", "confidential"]),
            Some("confidential")
        );
        assert_eq!(did_you_mean("xyz", ["encryption"]), None);
        assert_eq!(
            did_you_mean("questionaire", ["questionnaire", "manifest"]),
            Some("questionnaire")
        );
    }
}
