//! Enumerated words: departments, classifications and sections. A word
//! compares equal to a string holding it; comparing with any other string is
//! a compile error.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordSet {
    Department,
    Classification,
    Section,
}

impl WordSet {
    pub fn words(self) -> &'static [&'static str] {
        match self {
            WordSet::Department => &["hr", "it", "legal", "analytics", "exec", "other"],
            // In increasing order of sensitivity: the order comparisons use.
            WordSet::Classification => &["public", "internal", "confidential", "restricted"],
            WordSet::Section => &["hr", "it"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            WordSet::Department => "department",
            WordSet::Classification => "classification",
            WordSet::Section => "section",
        }
    }

    pub fn index(self, word: &str) -> Option<u8> {
        self.words()
            .iter()
            .position(|w| *w == word)
            .map(|i| i as u8)
    }

    pub fn word(self, index: u8) -> &'static str {
        self.words().get(index as usize).copied().unwrap_or("")
    }

    /// Only classifications have an order.
    pub fn is_ordered(self) -> bool {
        self == WordSet::Classification
    }
}
