//! Runs the examples of a markdown document: every ```` ```gov ```` block is
//! validated (or, marked `error=CODE`, must report that diagnostic), and
//! every ```` ```console ```` block is a transcript whose commands are run in
//! a fresh folder and whose output is compared.
//!
//! Block info strings (tokens separated by commas or blanks):
//!
//! - `gov`: a whole `.gov` file, validated alone; `standard` validates it
//!   with the standard blueprints beside it; `error=E0108` (or
//!   `warning=W0101`) says it must report that code. Lines opening with `~`
//!   are hidden in the book and kept, without the `~`, here.
//! - `rhai,file=NAME.rhai`: a script written beside the `.gov` blocks that
//!   follow it in the document.
//! - `console`: lines opening with `$ ` are commands (a line ending in `\`
//!   goes on), the lines up to the next command their expected output
//!   (stdout and stderr, as a terminal shows them). In expected output `[..]`
//!   stands for any text within a line, a line `...` for any lines, and a last
//!   line `[exit: N]` for the exit status (0 when absent). The transcripts of
//!   one document run in order in one folder, holding copies of `blueprints/`
//!   and `examples/`, with `govrt` on the PATH and shell variables kept from
//!   one command to the next. `daemon` starts `govrt serve` on that folder's
//!   database first; `localhost:8080` in a command is the daemon's address.
//!
//! Any other block is prose.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the binary and the repository are.
pub struct Options {
    /// The `govrt` binary.
    pub bin: PathBuf,
    /// The repository root (its `blueprints/` and `examples/` are copied).
    pub repo: PathBuf,
}

/// One example that does not do what its document says.
#[derive(Debug)]
pub struct Failure {
    /// The document's name.
    pub doc: String,
    /// The 1-based line of the block's opening fence.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.doc, self.line, self.message)
    }
}

/// A fenced code block.
struct Block {
    line: usize,
    info: Vec<String>,
    body: String,
}

impl Block {
    fn has(&self, word: &str) -> bool {
        self.info.iter().any(|w| w == word)
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.info
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match open.take() {
            None if fence => {
                let info = line.trim_start().trim_start_matches('`');
                open = Some(Block {
                    line: n + 1,
                    info: info
                        .split([',', ' '])
                        .filter(|w| !w.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    body: String::new(),
                });
            }
            None => {}
            Some(block) if fence => out.push(block),
            Some(mut block) => {
                block.body.push_str(line);
                block.body.push('\n');
                open = Some(block);
            }
        }
    }
    out
}

/// Runs every example of `text`; an empty answer means they all did what
/// the document says.
pub fn run_document(doc: &str, text: &str, options: &Options) -> Vec<Failure> {
    let mut run = DocumentRun {
        doc: doc.to_owned(),
        options,
        scripts: Vec::new(),
        shell: None,
        failures: Vec::new(),
    };
    for block in blocks(text) {
        match block.info.first().map(String::as_str) {
            Some("gov") => run.gov(&block),
            Some("rhai") => match block.value("file") {
                Some(name) => run.scripts.push((name.to_owned(), block.body.clone())),
                None => run.fail(&block, "a rhai block needs `file=NAME.rhai`".into()),
            },
            Some("console") => run.console(&block),
            _ => {}
        }
    }
    run.failures
}

struct DocumentRun<'a> {
    doc: String,
    options: &'a Options,
    scripts: Vec<(String, String)>,
    shell: Option<Shell>,
    failures: Vec<Failure>,
}

impl DocumentRun<'_> {
    fn fail(&mut self, block: &Block, message: String) {
        self.failures.push(Failure {
            doc: self.doc.clone(),
            line: block.line,
            message,
        });
    }

    fn gov(&mut self, block: &Block) {
        let dir = scratch("gov");
        if block.has("standard") {
            copy_dir(
                &self.options.repo.join("blueprints"),
                &dir.join("blueprints"),
            );
        }
        for (name, body) in &self.scripts {
            write(&dir.join(name), body);
        }
        let text: String = block
            .body
            .lines()
            .map(|l| l.strip_prefix('~').unwrap_or(l))
            .map(|l| format!("{l}\n"))
            .collect();
        write(&dir.join("example.gov"), &text);
        let checked = match govrt::check::check_paths(std::slice::from_ref(&dir)) {
            Ok(checked) => checked,
            Err(e) => return self.fail(block, format!("cannot check the example: {e}")),
        };
        let found: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str().trim_start_matches("gov::"))
            .collect();
        let wanted = block.value("error").or(block.value("warning"));
        match wanted {
            Some(code) if !found.contains(&code) => self.fail(
                block,
                format!("the example should report {code}, it reports {found:?}"),
            ),
            None if !found.is_empty() => {
                let messages: Vec<String> = checked
                    .diagnostics
                    .iter()
                    .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                    .collect();
                self.fail(
                    block,
                    format!("the example should be valid, it reports {messages:?}"),
                )
            }
            _ => {}
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn console(&mut self, block: &Block) {
        if self.shell.is_none() {
            self.shell = Some(Shell::new(self.options));
        }
        let Some(shell) = self.shell.as_mut() else {
            return;
        };
        if block.has("daemon") {
            if let Err(e) = shell.start_daemon() {
                return self.fail(block, e);
            }
        }
        let mut failures = Vec::new();
        for step in transcript(&block.body) {
            let (code, output) = match shell.run(&step.command) {
                Ok(done) => done,
                Err(e) => {
                    failures.push(format!("`{}`: {e}", step.command));
                    break;
                }
            };
            let actual: Vec<&str> = output.lines().map(str::trim_end).collect();
            let actual = trim_blank_end(&actual);
            if code != step.exit || !lines_match(&step.expected, actual) {
                failures.push(format!(
                    "`{}` exited with {code} (the document says {}) and printed:\n{}\n--- where the document says:\n{}",
                    step.command,
                    step.exit,
                    actual.join("\n"),
                    step.expected.join("\n")
                ));
                break;
            }
        }
        for f in failures {
            self.fail(block, f);
        }
    }
}

/// One command of a transcript and what it should print.
struct Step {
    command: String,
    expected: Vec<String>,
    exit: i32,
}

fn transcript(body: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for line in body.lines() {
        if continued {
            if let Some(step) = steps.last_mut() {
                step.command.push('\n');
                step.command.push_str(line);
                continued = line.ends_with('\\');
            }
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            continued = command.ends_with('\\');
            steps.push(Step {
                command: command.to_owned(),
                expected: Vec::new(),
                exit: 0,
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(line.trim_end().to_owned());
        }
    }
    for step in &mut steps {
        while step.expected.last().is_some_and(|l| l.is_empty()) {
            step.expected.pop();
        }
        let exit = step
            .expected
            .last()
            .and_then(|l| l.strip_prefix("[exit: ")?.strip_suffix(']')?.parse().ok());
        if let Some(code) = exit {
            step.exit = code;
            step.expected.pop();
        }
    }
    steps
}

fn trim_blank_end<'a, 'b>(lines: &'b [&'a str]) -> &'b [&'a str] {
    let mut end = lines.len();
    while end > 0 && lines[end - 1].is_empty() {
        end -= 1;
    }
    &lines[..end]
}

/// Whether `actual` is what `expected` says, `...` lines and `[..]` included.
pub fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => match actual.split_first() {
            Some((line, others)) => line_matches(first, line) && lines_match(rest, others),
            None => false,
        },
    }
}

/// Whether one line matches a pattern where `[..]` stands for any text.
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("[..]").collect();
    if pieces.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The folder a document's transcripts run in, and its daemon.
struct Shell {
    dir: PathBuf,
    path: String,
    daemon: Option<(Child, u16)>,
}

impl Shell {
    fn new(options: &Options) -> Shell {
        let dir = scratch("console");
        copy_dir(&options.repo.join("blueprints"), &dir.join("blueprints"));
        copy_dir(&options.repo.join("examples"), &dir.join("examples"));
        let bin_dir = options
            .bin
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Shell {
            dir,
            path,
            daemon: None,
        }
    }

    fn start_daemon(&mut self) -> Result<(), String> {
        if self.daemon.is_some() {
            return Ok(());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log = std::fs::File::create(self.dir.join("daemon.log"))
            .map_err(|e| format!("cannot write the daemon's log: {e}"))?;
        let child = self
            .command("govrt")
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start the daemon: {e}"))?;
        self.daemon = Some((child, port));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("the daemon did not start within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.dir)
            .env("PATH", &self.path)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "80")
            .env_remove("GOVRT_DB")
            .env_remove("GOVRT_USER")
            .env_remove("GOVRT_SYNC")
            .env_remove("GOVRT_SMTP");
        c
    }

    /// Runs one command with the variables of the earlier ones; answers its
    /// exit status and what it printed.
    fn run(&mut self, command: &str) -> Result<(i32, String), String> {
        let command = match &self.daemon {
            Some((_, port)) => command
                .replace("localhost:8080", &format!("127.0.0.1:{port}"))
                .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
            None => command.to_owned(),
        };
        let script = format!(
            "set -a\n[ -f .doc-state ] && . ./.doc-state\nexec 2>&1\n{command}\n__status=$?\nexport -p > .doc-state\nexit $__status\n"
        );
        let output = self
            .command("bash")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        Ok((
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ))
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        if let Some((mut child, _)) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scratch(kind: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("govrt-docs-{kind}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if path
            .extension()
            .is_some_and(|e| e == "gov" || e == "rhai" || e == "md")
        {
            let _ = std::fs::copy(&path, &target);
        }
    }
}
