//! Checking the documents a command names (files, directories, standard
//! input) on every core, with the outcomes handed on in the order named.
//!
//! Each worker reads, checks and (for streamed output) renders a file on its
//! own, then takes the next one: a large manifest holds up no questionnaire.
//! The thread that called hands the outcomes on in order as they complete,
//! and only so many files may be done ahead of the next one it waits for,
//! so memory stays bounded however many files a run names.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::files::{find, io_reason, read_text_or_prefix, Found};
use super::Io;
use crate::diagnostic::Diagnostic;
use crate::input::Format;
use crate::limits::Limits;
use crate::report::Report;
use crate::source::{FileId, SourceFile, Span};
use crate::Engine;

/// How many files make a run long enough for a progress line.
const PROGRESS_FROM: usize = 200;

/// How many files a worker may be ahead of the one the output waits for,
/// per core (a slow first file must not stop the others).
const AHEAD_FILES_PER_CORE: usize = 1024;
/// Workers take this many files at a time, so that they seldom meet at the
/// window's lock (small files take microseconds each).
const CHUNK: usize = 16;
/// What a worker made is sent back to it to be freed this many at a time.
const RETURN_BUNDLE: usize = 64;
/// Nor may the files done ahead hold more than this, text and output.
const AHEAD_BYTES: usize = 64 * 1024 * 1024;

/// The extensions of the document files a directory is searched for.
const DOCUMENT_EXTENSIONS: &[&str] = &[".yaml", ".yml", ".json"];

/// Files read ahead while the policy compiles hold no more than this.
const PREFETCH_BYTES: usize = 32 * 1024 * 1024;

/// The checker recurses over nested input (bounded by `limits`).
const WORKER_STACK: usize = 64 * 1024 * 1024;

/// Renders a checked document on the thread that checked it (output is made
/// on every core); `None` leaves it to the caller.
pub type Prerender<'r> = &'r (dyn Fn(&Engine, &crate::CheckedDocument) -> Option<Vec<u8>> + Sync);

/// A file's outcome with each document's output, if it was made already.
pub struct Outcome {
    pub documents: Vec<(crate::CheckedDocument, Option<Vec<u8>>)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The document files a run names, looked for and the first of them read
/// on a thread of their own while the policy compiles: compiling takes a
/// core for milliseconds before any document can be checked, and listing a
/// directory of thousands of files and reading the first of them took as
/// long. Start it before the policy is read; what it has not done when the
/// documents are checked is done then, the same way.
pub struct Prefetch {
    paths: Vec<String>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Prefetched>>,
    /// What the thread did, once it is joined.
    done: Option<Prefetched>,
}

/// What the prefetching thread did.
#[derive(Default)]
struct Prefetched {
    /// What each path holds, in order (`None` for `-`).
    found: Vec<Option<Result<Vec<Found>, Diagnostic>>>,
    /// The first files found, read.
    read: Vec<Result<Vec<u8>, Diagnostic>>,
}

impl Prefetch {
    /// Starts looking for the files under `paths` (relative to `io.cwd`)
    /// and reading them, until [`Prefetch::finish`] or [`PREFETCH_BYTES`].
    pub fn start(paths: &[String], io: &Io, limits: Limits) -> Prefetch {
        let stop = Arc::new(AtomicBool::new(false));
        let (cwd, given, halt) = (io.cwd.clone(), paths.to_vec(), Arc::clone(&stop));
        let work = move || {
            crate::threads::started();
            let found: Vec<_> = given
                .iter()
                .map(|path| (path != "-").then(|| find(&cwd, path, DOCUMENT_EXTENSIONS)))
                .collect();
            let mut read = Vec::new();
            let mut held = 0;
            for f in found.iter().flatten().flatten().flatten() {
                if halt.load(Ordering::Relaxed) || held >= PREFETCH_BYTES {
                    break;
                }
                let bytes = read_file(f, &limits);
                held += bytes.as_ref().map_or(0, Vec::len);
                read.push(bytes);
            }
            Prefetched { found, read }
        };
        // A thread that cannot start leaves the work to the checking.
        let thread = std::thread::Builder::new().spawn(work).ok();
        Prefetch {
            paths: paths.to_vec(),
            stop,
            thread,
            done: None,
        }
    }

    /// Nothing done ahead: the files are found and read as they are checked.
    #[cfg(test)]
    fn none(paths: &[String]) -> Prefetch {
        Prefetch {
            paths: paths.to_vec(),
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
            done: None,
        }
    }

    /// Lets the thread find and read all it may before it is stopped.
    #[cfg(test)]
    fn wait(mut self) -> Prefetch {
        self.done = self.thread.take().and_then(|t| t.join().ok());
        self
    }

    /// Stops reading ahead; the paths and what was done for them.
    fn finish(mut self) -> (Vec<String>, Prefetched) {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take();
        // A thread that panicked did nothing that counts.
        let done = self
            .done
            .take()
            .or_else(|| thread.and_then(|t| t.join().ok()))
            .unwrap_or_default();
        (std::mem::take(&mut self.paths), done)
    }
}

impl Drop for Prefetch {
    /// A run that ends before its documents are checked stops the reading.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads, validates and evaluates the documents under `paths` into `report`.
pub fn load_documents(
    engine: &mut Engine,
    paths: Prefetch,
    io: &mut Io,
    today: i32,
    report: &mut Report,
) {
    check_documents(engine, paths, io, today, None, &mut |_, _, outcome| {
        let documents = outcome.documents.drain(..).map(|(d, _)| d);
        report.documents.extend(documents);
        report.diagnostics.append(&mut outcome.diagnostics);
    });
}

/// What one document path names, its entry in the sources made already.
enum Item {
    /// Problems known before reading (a path that does not exist).
    Known(Vec<Diagnostic>),
    /// Standard input, read already.
    Stdin,
    File(Found),
}

struct Job {
    /// The file's entry in the sources, with no text until it is read.
    file: FileId,
    item: Item,
    /// The bytes, when read before the job was taken.
    read: Mutex<Option<Result<Vec<u8>, Diagnostic>>>,
}

impl Job {
    fn new(file: FileId, item: Item, read: Option<Result<Vec<u8>, Diagnostic>>) -> Job {
        Job {
            file,
            item,
            read: Mutex::new(read),
        }
    }
}

/// A job done: its outcome, the file's text (to show it by), and how much
/// memory it holds until handed on.
struct Done {
    outcome: Outcome,
    source: Option<Arc<SourceFile>>,
    bytes: usize,
    /// The worker that made it (`None`: the calling thread).
    maker: Option<usize>,
}

/// Reads, validates and evaluates the documents under `paths`, and hands each
/// file's outcome to `each` in the order the paths name them, with the file's
/// text lent to `engine.sources`. Diagnostics about paths that hold nothing
/// come first. With `prerender`, documents are also rendered where they are
/// checked, and a file's text is dropped once `each` has seen it (the output
/// is streamed); without, texts are kept for a report made at the end.
pub fn check_documents(
    engine: &mut Engine,
    paths: Prefetch,
    io: &mut Io,
    today: i32,
    prerender: Option<Prerender<'_>>,
    each: &mut dyn FnMut(&mut Engine, &mut Io, &mut Outcome),
) {
    let jobs = name_jobs(engine, paths, io, each);
    let streamed = prerender.is_some();
    let mut kept = Vec::new();
    let mut hand_on = |engine: &mut Engine, io: &mut Io, file: FileId, done: &mut Done| {
        if let Some(source) = &done.source {
            engine.sources.lend(file, Arc::clone(source));
        }
        each(engine, io, &mut done.outcome);
        engine.sources.take_lent();
        // Streamed, the text goes back with the rest of `done` to the worker
        // that read it, to be freed there: freed here, it was freed into
        // that worker's heap while the worker used it.
        if !streamed {
            if let Some(source) = done.source.take() {
                kept.push((file, source));
            }
        }
    };
    run_jobs(engine, &jobs, today, io, prerender, &mut hand_on);
    // The workers are gone: the shared files are this engine's alone again.
    for (file, source) in kept {
        let source = Arc::try_unwrap(source).unwrap_or_else(|shared| (*shared).clone());
        engine.sources.fill(file, source);
    }
}

/// Gives every path a job and an entry in the sources, in order; a
/// directory that holds no document is reported at once.
fn name_jobs(
    engine: &mut Engine,
    paths: Prefetch,
    io: &mut Io,
    each: &mut dyn FnMut(&mut Engine, &mut Io, &mut Outcome),
) -> Vec<Job> {
    let (paths, prefetched) = paths.finish();
    let mut found_ahead = prefetched.found.into_iter();
    let mut read_ahead = prefetched.read.into_iter();
    let mut jobs = Vec::new();
    for given in &paths {
        let ahead = found_ahead.next().flatten();
        if given == "-" {
            let mut bytes = Vec::new();
            let read = std::io::Read::read_to_end(&mut io.stdin, &mut bytes)
                .map(|_| bytes)
                .map_err(|e| {
                    Diagnostic::error(
                        "A302",
                        format!("cannot read standard input: {}", io_reason(&e)),
                    )
                });
            let file = engine.sources.add("<stdin>", "");
            jobs.push(Job::new(file, Item::Stdin, Some(read)));
            continue;
        }
        let found = ahead.unwrap_or_else(|| find(&io.cwd, given, DOCUMENT_EXTENSIONS));
        match found {
            Ok(found) if found.is_empty() => {
                let d = Diagnostic::warning(
                    "A312",
                    format!(
                        "`{given}` holds no .yaml, .yml or .json file: nothing was checked there"
                    ),
                );
                each(engine, io, &mut nothing(vec![d]));
            }
            Ok(found) => {
                for f in found {
                    let file = engine.sources.add(f.display.clone(), "");
                    jobs.push(Job::new(file, Item::File(f), read_ahead.next()));
                }
            }
            Err(d) => {
                let file = engine.sources.add(given.clone(), "");
                let d = d.at(Span::new(file, 0..0), "here");
                jobs.push(Job::new(file, Item::Known(vec![d]), None));
            }
        }
    }
    jobs
}

fn nothing(diagnostics: Vec<Diagnostic>) -> Outcome {
    Outcome {
        documents: Vec::new(),
        diagnostics,
    }
}

/// Runs the jobs on every core and hands each one on in order.
fn run_jobs(
    engine: &mut Engine,
    jobs: &[Job],
    today: i32,
    io: &mut Io,
    prerender: Option<Prerender<'_>>,
    hand_on: &mut dyn FnMut(&mut Engine, &mut Io, FileId, &mut Done),
) {
    let progress = Progress::new(jobs.len());
    let cores = workers(io).min(jobs.len());
    if cores <= 1 {
        let mut worker = engine.worker();
        for job in jobs {
            let mut done = run(&mut worker, job, today, prerender);
            progress.finished();
            progress.clear(io);
            hand_on(engine, io, job.file, &mut done);
            progress.show(io);
        }
        return;
    }
    let window = Window {
        state: Mutex::new(WindowState::default()),
        moved: Condvar::new(),
        files: cores * AHEAD_FILES_PER_CORE,
    };
    let (sender, receiver) = mpsc::channel::<Vec<(usize, Done)>>();
    // This thread is a worker too: it checks files while it has nothing to
    // hand on (sleeping on each outcome cost more than a small file's check).
    let helpers: Vec<Engine> = (1..cores).map(|_| engine.worker()).collect();
    let mut own = engine.worker();
    let mut written = 0;
    let mut waiting = BTreeMap::new();
    // What a worker made goes back to it to be freed: freeing on another
    // thread makes the system allocator contend (it cost more than the
    // checking of a small file).
    let (returns, returned): (Vec<_>, Vec<_>) =
        (1..cores).map(|_| mpsc::channel::<Vec<Done>>()).unzip();
    // Sent back in bundles: a message can wake its worker.
    let mut bundles: Vec<Vec<Done>> = (1..cores).map(|_| Vec::new()).collect();
    std::thread::scope(|scope| {
        for (maker, (mut worker, returned)) in helpers.into_iter().zip(returned).enumerate() {
            let sender = sender.clone();
            let (window, progress) = (&window, &progress);
            let work = move || {
                crate::threads::started();
                let worked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    while let Some(taken) = window.take(jobs.len(), CHUNK) {
                        while let Ok(old) = returned.try_recv() {
                            drop(old);
                        }
                        let mut batch = Vec::with_capacity(taken.len());
                        for i in taken {
                            let Some(job) = jobs.get(i) else { break };
                            let mut done = run(&mut worker, job, today, prerender);
                            done.maker = Some(maker);
                            batch.push((i, done));
                            progress.finished();
                        }
                        window.hold(batch.iter().map(|(_, done)| done.bytes).sum());
                        if sender.send(batch).is_err() {
                            break;
                        }
                    }
                }));
                // A bug in checking one file must not leave the others
                // waiting for it: they stop, and this thread takes over.
                if worked.is_err() {
                    window.abandon();
                    return;
                }
                // Free what comes back until the output is all written.
                for old in returned.iter() {
                    drop(old);
                }
            };
            // A worker that cannot start leaves its share to the others.
            let _ = std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .spawn_scoped(scope, work);
        }
        drop(sender);
        while written < jobs.len() {
            while let Ok(batch) = receiver.try_recv() {
                waiting.extend(batch);
            }
            while let Some(mut done) = waiting.remove(&written) {
                let (Some(job), bytes) = (jobs.get(written), done.bytes) else {
                    break;
                };
                progress.clear(io);
                hand_on(engine, io, job.file, &mut done);
                written += 1;
                window.release(bytes);
                if let Some(maker) = done.maker {
                    if let (Some(bundle), Some(back)) = (bundles.get_mut(maker), returns.get(maker))
                    {
                        bundle.push(done);
                        if bundle.len() >= RETURN_BUNDLE {
                            // A worker gone has its things freed here.
                            let _ = back.send(std::mem::take(bundle));
                        }
                    }
                }
            }
            progress.show(io);
            if written == jobs.len() {
                break;
            }
            // One job at a time: this thread also hands the outcomes on.
            if let Some(taken) = window.try_take(jobs.len(), 1) {
                for i in taken {
                    if let Some(job) = jobs.get(i) {
                        let done = run(&mut own, job, today, prerender);
                        progress.finished();
                        window.hold(done.bytes);
                        waiting.insert(i, done);
                    }
                }
                continue;
            }
            // Nothing to take: what is left is on the other workers.
            match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(batch) => waiting.extend(batch),
                Err(mpsc::RecvTimeoutError::Timeout) if window.abandoned() => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for (bundle, back) in bundles.into_iter().zip(&returns) {
            let _ = back.send(bundle);
        }
        // The workers wait for this to end.
        drop(returns);
    });
    // Jobs no worker finished (none could start, or one died) are done here.
    let mut worker = engine.worker();
    for (i, job) in jobs.iter().enumerate().skip(written) {
        let mut done = waiting
            .remove(&i)
            .unwrap_or_else(|| run(&mut worker, job, today, prerender));
        progress.clear(io);
        hand_on(engine, io, job.file, &mut done);
    }
    progress.clear(io);
}

/// Reads, checks and renders one file on a worker's engine.
fn run(worker: &mut Engine, job: &Job, today: i32, prerender: Option<Prerender<'_>>) -> Done {
    let file = job.file;
    let name = worker.sources.name(file).to_string();
    let failed = |d: Diagnostic| Done {
        outcome: nothing(vec![d]),
        source: None,
        bytes: 0,
        maker: None,
    };
    let (read, searched) = match &job.item {
        Item::Known(diagnostics) => {
            return Done {
                outcome: nothing(diagnostics.clone()),
                source: None,
                bytes: 0,
                maker: None,
            }
        }
        // Copied: standard input cannot be read again if a job is redone
        // (a worker that failed has its jobs done by the calling thread).
        Item::Stdin => (
            job.read
                .lock()
                .ok()
                .and_then(|read| read.clone())
                .unwrap_or_else(|| Ok(Vec::new())),
            false,
        ),
        // Taken: a file redone is read again.
        Item::File(f) => (
            job.read
                .lock()
                .ok()
                .and_then(|mut read| read.take())
                .unwrap_or_else(|| read_file(f, &worker.limits)),
            f.searched,
        ),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(d) => return failed(d.at(Span::new(file, 0..0), "here")),
    };
    let text = match read_text_or_prefix(bytes, &name) {
        Ok(text) => text,
        Err((d, valid)) => {
            let at = valid.len();
            return Done {
                outcome: nothing(vec![d.at(Span::new(file, at..at), "invalid UTF-8 here")]),
                source: Some(Arc::new(SourceFile::new(name, valid))),
                bytes: at,
                maker: None,
            };
        }
    };
    let format = Format::guess(&name, &text);
    let source = Arc::new(SourceFile::new(name, text));
    worker.sources.lend(file, Arc::clone(&source));
    let checked = if searched {
        worker.check_found_file(file, format, today)
    } else {
        Some(worker.check_file(file, format, today))
    };
    let outcome = match checked {
        Some((documents, diagnostics)) => Outcome {
            documents: documents
                .into_iter()
                .map(|d| {
                    let output = prerender.and_then(|render| render(worker, &d));
                    (d, output)
                })
                .collect(),
            diagnostics,
        },
        None => {
            let name = &source.name;
            nothing(vec![Diagnostic::warning(
                "A313",
                format!("`{name}` has no `kind` or `id`: not an Accord document, skipped"),
            )])
        }
    };
    worker.sources.take_lent();
    let output: usize = outcome
        .documents
        .iter()
        .filter_map(|(_, output)| output.as_ref().map(Vec::len))
        .sum();
    Done {
        bytes: source.text.len() + output,
        outcome,
        source: Some(source),
        maker: None,
    }
}

/// A document file's bytes, within the size limit. The file is opened
/// once and its size asked of the open file: a second lookup of the path
/// costs as much as the read of a small file.
fn read_file(f: &Found, limits: &Limits) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        Diagnostic::error(
            "A402",
            format!("cannot read `{}`: {}", f.display, io_reason(&e)),
        )
    };
    let mut file = open_document(&f.path).map_err(cannot)?;
    let (size, regular) = file
        .metadata()
        .map(|m| (usize::try_from(m.len()).unwrap_or(usize::MAX), m.is_file()))
        .unwrap_or((0, false));
    let limit = limits.document_bytes;
    if size > limit {
        return Err(crate::input::too_large(size, limits));
    }
    let mut bytes = Vec::with_capacity(size.saturating_add(1));
    // A regular file is read up to the size it has now, which spares the
    // read that would find its end; anything else (a pipe named on the
    // command line) is read to its end, one byte past the limit at most.
    // Through `take` either way: `File::read_to_end` would ask the size again.
    let most = match (regular, size) {
        (true, 1..) => size,
        _ => limit.saturating_add(1),
    };
    (&mut file)
        .take(u64::try_from(most).unwrap_or(u64::MAX))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > limit {
        return Err(crate::input::too_large(bytes.len(), limits));
    }
    Ok(bytes)
}

/// Opens a document file. On Linux, relative to its directory, kept open
/// by the thread for the next file: the files of a directory are read one
/// after another, and looking up every component of a long path again
/// for each made opening a small file cost more than reading it.
#[cfg(target_os = "linux")]
fn open_document(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    use std::os::fd::OwnedFd;
    thread_local! {
        static DIRECTORY: std::cell::RefCell<Option<(std::path::PathBuf, OwnedFd)>> =
            const { std::cell::RefCell::new(None) };
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return std::fs::File::open(path);
    };
    let opened = DIRECTORY.try_with(|cache| -> Option<std::fs::File> {
        let mut cache = cache.borrow_mut();
        if cache.as_ref().is_none_or(|(known, _)| known != dir) {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(dir, flags, Mode::empty()).ok()?;
            *cache = Some((dir.to_path_buf(), fd));
        }
        let (_, fd) = cache.as_ref()?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        rustix::fs::openat(fd, name, flags, Mode::empty())
            .ok()
            .map(std::fs::File::from)
    });
    match opened {
        Ok(Some(file)) => Ok(file),
        // Any failure is reported as the path's own.
        _ => std::fs::File::open(path),
    }
}

#[cfg(not(target_os = "linux"))]
fn open_document(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// How far ahead of the output the workers may be.
struct Window {
    state: Mutex<WindowState>,
    moved: Condvar,
    /// Most files done or being done ahead of the next one handed on.
    files: usize,
}

#[derive(Default)]
struct WindowState {
    /// The next job to take.
    next: usize,
    /// Jobs handed on so far.
    written: usize,
    /// Memory held by jobs done but not handed on.
    bytes: usize,
    /// A worker died: the others stop taking jobs.
    abandoned: bool,
    /// Workers waiting for room (waking nobody costs a system call).
    sleepers: usize,
}

impl Window {
    /// The next jobs (up to `want` of them), once the window has room for
    /// one; `None` when all are taken.
    fn take(&self, total: usize, want: usize) -> Option<std::ops::Range<usize>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if state.next >= total || state.abandoned {
                return None;
            }
            if let Some(jobs) = self.next_in(&mut state, total, want) {
                return Some(jobs);
            }
            state.sleepers += 1;
            state = self.moved.wait(state).unwrap_or_else(|e| e.into_inner());
            state.sleepers -= 1;
        }
    }

    /// [`Window::take`] without waiting: `None` when no job can be taken now.
    fn try_take(&self, total: usize, want: usize) -> Option<std::ops::Range<usize>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.abandoned {
            return None;
        }
        self.next_in(&mut state, total, want)
    }

    fn next_in(
        &self,
        state: &mut WindowState,
        total: usize,
        want: usize,
    ) -> Option<std::ops::Range<usize>> {
        // The job the output waits for is always free, or nothing would move.
        let limit = if state.bytes < AHEAD_BYTES {
            state.written + self.files
        } else {
            state.written + 1
        };
        let end = (state.next + want).min(total).min(limit);
        if end <= state.next {
            return None;
        }
        let jobs = state.next..end;
        state.next = end;
        Some(jobs)
    }

    fn abandon(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.abandoned = true;
        drop(state);
        self.moved.notify_all();
    }

    fn abandoned(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abandoned
    }

    fn hold(&self, bytes: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.bytes += bytes;
    }

    /// One more job handed on, and the memory it held freed.
    fn release(&self, bytes: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.written += 1;
        state.bytes = state.bytes.saturating_sub(bytes);
        let sleepers = state.sleepers;
        drop(state);
        if sleepers > 0 {
            self.moved.notify_all();
        }
    }
}

/// How far a long run is, shown on a terminal at most ten times a second.
struct Progress {
    total: usize,
    done: AtomicUsize,
    line: Mutex<ProgressLine>,
}

#[derive(Default)]
struct ProgressLine {
    /// When it was last written (erasing it to write output does not count).
    written: Option<Instant>,
    /// Whether it is on the terminal now.
    visible: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: AtomicUsize::new(0),
            line: Mutex::new(ProgressLine::default()),
        }
    }

    fn finished(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    fn show(&self, io: &mut Io) {
        if self.total < PROGRESS_FROM {
            return;
        }
        let Some(p) = io.progress.as_mut() else {
            return;
        };
        let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
        if line
            .written
            .is_some_and(|at| at.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        let done = self.done.load(Ordering::Relaxed);
        let _ = write!(p, "\rchecking {done}/{} documents", self.total);
        let _ = p.flush();
        line.written = Some(Instant::now());
        line.visible = true;
    }

    /// Output must not share a line with the progress.
    fn clear(&self, io: &mut Io) {
        let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
        if !line.visible {
            return;
        }
        line.visible = false;
        if let Some(p) = io.progress.as_mut() {
            let _ = write!(p, "\r{}\r", " ".repeat(40));
            let _ = p.flush();
        }
    }
}

/// How many threads check documents: `--jobs`, else one a core.
pub fn workers(io: &Io) -> usize {
    io.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
must named "A vendor gives its name" {
  applies questionnaire
  require input.vendor.name != ""
}
"#;

    /// What a check of `paths` in `dir` hands on, shown as text.
    fn check_all(dir: &std::path::Path, files: Prefetch) -> Vec<String> {
        let mut engine = Engine::new(vec![("p.policy".into(), POLICY.into())]);
        assert!(engine.is_valid(), "{:?}", engine.diagnostics);
        let stdin = b"kind: questionnaire\nid: S\nvendor: { name: S }\n".to_vec();
        let mut io = Io::new(dir.to_path_buf(), Box::new(std::io::Cursor::new(stdin)));
        io.jobs = Some(2);
        let mut seen = Vec::new();
        check_documents(
            &mut engine,
            files,
            &mut io,
            20_000,
            None,
            &mut |engine, _, outcome| {
                for d in &outcome.diagnostics {
                    seen.push(crate::report::human::diagnostic(&engine.sources, d, false));
                }
                for (doc, _) in &outcome.documents {
                    let verdict = doc.report.verdict;
                    seen.push(format!("{} {} {verdict:?}", doc.path, doc.id));
                }
            },
        );
        seen
    }

    #[test]
    fn files_read_ahead_are_checked_as_files_read_when_checked() {
        let dir = std::env::temp_dir().join(format!("accord-prefetch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files: [(&str, &[u8]); 7] = [
            (
                "docs/a.yaml",
                b"kind: questionnaire\nid: A\nvendor: { name: A }\n",
            ),
            ("docs/b.json", b"{\"kind\": \"questionnaire\", \"id\": "),
            (
                "docs/sub/c.yml",
                b"kind: questionnaire\nid: C\nvendor: { name: \"\" }\n",
            ),
            ("docs/d.yaml", b"kind: questionnaire\nid: \xff\n"),
            ("docs/e.yaml", b"name: not one of ours\n"),
            ("docs/notes.txt", b"not a document"),
            ("empty/.keep", b""),
        ];
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
            std::fs::write(&path, bytes).expect("write");
        }
        let paths: Vec<String> = ["docs", "missing.yaml", "empty", "-", "docs/a.yaml"]
            .map(String::from)
            .to_vec();
        let io = Io::new(dir.clone(), Box::new(std::io::empty()));

        let ahead = Prefetch::start(&paths, &io, Limits::default()).wait();
        let read = ahead.done.as_ref().map_or(0, |done| done.read.len());
        assert_eq!(read, 6, "five files under docs/ and docs/a.yaml again");
        let with = check_all(&dir, ahead);
        let without = check_all(&dir, Prefetch::none(&paths));
        assert_eq!(with, without);

        let shown = with.join("\n");
        for expected in [
            "docs/a.yaml A Pass",
            "docs/sub/c.yml C Fail",
            "<stdin> S Pass",
            "A301",
            "A302",
            "A313",
            "A402",
            "A312",
        ] {
            assert!(shown.contains(expected), "no `{expected}` in:\n{shown}");
        }
        // In the order named: the directory's files, the missing one, the
        // empty directory, standard input, the file named again.
        let a = shown.find("docs/a.yaml A").expect("a");
        let missing = shown.find("missing.yaml").expect("missing");
        let stdin = shown.find("<stdin> S").expect("stdin");
        assert!(a < missing && missing < stdin, "{shown}");
        assert_eq!(shown.matches("docs/a.yaml A Pass").count(), 2, "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn window(files: usize) -> Window {
        Window {
            state: Mutex::new(WindowState::default()),
            moved: Condvar::new(),
            files,
        }
    }

    #[test]
    fn workers_stay_within_the_window_and_the_next_file_is_always_free() {
        let w = window(3);
        assert_eq!(w.try_take(10, 1), Some(0..1));
        assert_eq!(w.try_take(10, 5), Some(1..3));
        // Three files are out and none handed on: the fourth waits.
        assert_eq!(w.try_take(10, 1), None);
        w.release(0);
        assert_eq!(w.try_take(10, 4), Some(3..4));
        assert_eq!(w.try_take(10, 1), None);
    }

    #[test]
    fn the_last_jobs_are_handed_out_and_then_none() {
        let w = window(100);
        assert_eq!(w.try_take(5, 16), Some(0..5));
        assert_eq!(w.try_take(5, 16), None);
        assert_eq!(w.take(5, 16), None);
    }

    #[test]
    fn memory_held_ahead_stops_workers_but_not_the_file_output_waits_for() {
        let w = window(100);
        assert_eq!(w.try_take(10, 1), Some(0..1));
        w.hold(AHEAD_BYTES);
        // Job 0 is done but not handed on; its memory fills the window.
        assert_eq!(w.try_take(10, 1), None);
        w.release(AHEAD_BYTES);
        // Everything before job 1 is handed on: job 1 (and only it) is
        // taken whatever is held.
        w.hold(AHEAD_BYTES * 2);
        assert_eq!(w.try_take(10, 8), Some(1..2));
    }

    /// A terminal that keeps what is written to it.
    #[derive(Clone, Default)]
    struct Terminal(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Terminal {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn progress_is_written_at_most_ten_times_a_second_and_erased_before_output() {
        let terminal = Terminal::default();
        let mut io = Io::new(std::env::temp_dir(), Box::new(std::io::empty()));
        io.progress = Some(Box::new(terminal.clone()));
        let progress = Progress::new(PROGRESS_FROM);
        // A thousand outcomes handed on in a few milliseconds: erased before
        // each, shown again only once 100 ms have passed.
        for _ in 0..1000 {
            progress.finished();
            progress.clear(&mut io);
            progress.show(&mut io);
        }
        let text = String::from_utf8(terminal.0.lock().map(|t| t.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert!(
            text.matches("checking").count() <= 2,
            "written too often: {text:?}"
        );
        assert!(text.starts_with("\rchecking 1/200 documents"), "{text:?}");
        // The last thing on the line is the progress or nothing: erased once.
        progress.clear(&mut io);
        progress.clear(&mut io);
        let text = String::from_utf8(terminal.0.lock().map(|t| t.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert!(text.ends_with(&format!("\r{}\r", " ".repeat(40))));
        assert_eq!(
            text.matches(&" ".repeat(40)).count(),
            text.matches("checking").count()
        );
    }

    #[test]
    fn an_abandoned_window_hands_out_nothing() {
        let w = window(100);
        assert_eq!(w.try_take(10, 1), Some(0..1));
        w.abandon();
        assert_eq!(w.take(10, 1), None);
        assert!(w.abandoned());
    }

    #[test]
    fn a_waiting_worker_wakes_when_the_output_moves_on() {
        let w = window(1);
        assert_eq!(w.take(3, 1), Some(0..1));
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| w.take(3, 1));
            std::thread::sleep(Duration::from_millis(50));
            w.release(0);
            assert_eq!(waiting.join().ok().flatten(), Some(1..2));
        });
    }
}
