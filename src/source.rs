//! Source files and spans. Policies, the embedded standard library and the
//! documents under check all live in one [`SourceMap`], so that a result can
//! point into a policy and a document with the same kind of [`Span`].

use std::ops::Range;
use std::sync::Arc;

/// Identifies one file of a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file, or a node the checker invented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Span {
    /// Bytes `start..end` of `file`.
    Real { file: FileId, start: u32, end: u32 },
    /// Something that has no place in any source (a default, a built-in).
    Synthetic,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span::Real {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    pub fn file(&self) -> Option<FileId> {
        match self {
            Span::Real { file, .. } => Some(*file),
            Span::Synthetic => None,
        }
    }

    pub fn range(&self) -> Option<Range<usize>> {
        match self {
            Span::Real { start, end, .. } => Some(*start as usize..*end as usize),
            Span::Synthetic => None,
        }
    }

    pub fn start(&self) -> usize {
        match self {
            Span::Real { start, .. } => *start as usize,
            Span::Synthetic => 0,
        }
    }

    /// The smallest span covering both (the first when they lie in different files).
    pub fn to(self, other: Span) -> Span {
        match (self, other) {
            (
                Span::Real { file, start, end },
                Span::Real {
                    file: f2,
                    start: s2,
                    end: e2,
                },
            ) if file == f2 => Span::Real {
                file,
                start: start.min(s2),
                end: end.max(e2),
            },
            (Span::Synthetic, o) => o,
            (s, _) => s,
        }
    }

    /// An empty span at the start of this one.
    pub fn start_point(self) -> Span {
        match self {
            Span::Real { file, start, .. } => Span::Real {
                file,
                start,
                end: start,
            },
            s => s,
        }
    }
}

/// One source file: its display name, its text and where its lines start.
#[derive(Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: String, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(start..end)
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, column + 1)
    }

    /// Byte offset of a 1-based line and a 0-based character column.
    pub fn offset_of(&self, line: usize, col_chars: usize) -> usize {
        let Some(range) = self.line_range(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let text = self.text.get(range.clone()).unwrap_or("");
        match text.char_indices().nth(col_chars) {
            Some((i, _)) => range.start + i,
            None => range.start + text.len().min(col_chars),
        }
    }
}

/// Every file a run has read, addressed by [`FileId`].
///
/// Cloning is cheap and makes a view for a thread that checks documents:
/// the files are shared, and each view can lend one more file of its own
/// (the document it is checking) that stands in for that file's entry.
#[derive(Default, Clone)]
pub struct SourceMap {
    files: Arc<Vec<SourceFile>>,
    lent: Option<(FileId, Arc<SourceFile>)>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Copies the shared files only when a view still holds them; views
    /// live while documents are checked, when nothing is added.
    fn files_mut(&mut self) -> &mut Vec<SourceFile> {
        Arc::make_mut(&mut self.files)
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let files = self.files_mut();
        let id = FileId(files.len() as u32);
        files.push(SourceFile::new(name.into(), text.into()));
        id
    }

    /// How many files the map holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Forgets the files added after the first `len` (a document an editor
    /// checks on every keystroke must not pile up).
    pub fn truncate(&mut self, len: usize) {
        self.files_mut().truncate(len);
        self.lent = None;
    }

    /// Lets `file` stand in for the entry `id` (added with no text) until
    /// [`SourceMap::take_lent`]: a document read and checked on another
    /// thread is shown without copying it into the shared files.
    pub fn lend(&mut self, id: FileId, file: Arc<SourceFile>) {
        self.lent = Some((id, file));
    }

    pub fn take_lent(&mut self) -> Option<(FileId, Arc<SourceFile>)> {
        self.lent.take()
    }

    /// Puts a file's text in place for good (a report made from the whole run).
    pub fn fill(&mut self, id: FileId, file: SourceFile) {
        if let Some(slot) = self.files_mut().get_mut(id.0 as usize) {
            *slot = file;
        }
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        if let Some((lent, file)) = &self.lent {
            if *lent == id {
                return Some(file);
            }
        }
        self.files.get(id.0 as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.text.as_str()).unwrap_or("")
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        match span {
            Span::Real { file, start, end } => self
                .text(file)
                .get(start as usize..end as usize)
                .unwrap_or(""),
            Span::Synthetic => "",
        }
    }

    /// File name, 1-based line and column of the start of a span.
    pub fn location(&self, span: Span) -> Option<(&str, usize, usize)> {
        let file = span.file()?;
        let source = self.get(file)?;
        let (line, col) = source.line_col(span.start());
        Some((source.name.as_str(), line, col))
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        (0..self.files.len()).filter_map(|i| {
            let id = FileId(i as u32);
            self.get(id).map(|f| (id, f))
        })
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        self.get(id)
            .map(|f| f.line_index(byte_index))
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        file.line_range(line_index)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: file.line_starts.len().saturating_sub(1),
            })
    }
}
