//! Byte offsets and LSP positions (line, UTF-16 column) of one text.

use tower_lsp_server::ls_types::{Position, Range as LspRange};

pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(next) => next.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = self
            .text
            .get(start..offset)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(0);
        Position::new(line as u32, column as u32)
    }

    pub fn range(&self, range: &std::ops::Range<usize>) -> LspRange {
        LspRange::new(self.position(range.start), self.position(range.end))
    }

    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = self.text.get(start..end).unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= position.character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns() {
        let text = "a\nrole é😀x {\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        let p = index.position(x);
        assert_eq!((p.line, p.character), (1, 8));
        assert_eq!(index.offset(p), x);
        assert_eq!(index.offset(Position::new(9, 0)), text.len());
    }
}
