//! "Did you mean": the closest candidate by edit distance, when close enough.

/// Edit distance counting a swap of two neighbouring letters as one edit
/// (optimal string alignment): `hirs` is one edit from `hris`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(cell) = d.get_mut(at(i, 0)) {
            *cell = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(cell) = d.get_mut(at(0, j)) {
            *cell = j;
        }
    }
    let get =
        |d: &Vec<usize>, i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let mut best = (get(&d, i - 1, j) + 1)
                .min(get(&d, i, j - 1) + 1)
                .min(get(&d, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                best = best.min(get(&d, i - 2, j - 2) + 1);
            }
            if let Some(cell) = d.get_mut(at(i, j)) {
                *cell = best;
            }
        }
    }
    get(&d, a.len(), b.len())
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
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

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
        assert_eq!(did_you_mean("hirs", ["hris", "ats"]), Some("hris"));
        assert_eq!(
            did_you_mean("questionaire", ["questionnaire", "manifest"]),
            Some("questionnaire")
        );
    }
}
