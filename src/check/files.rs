//! Finding and reading what is checked: `.gov` files under the given paths,
//! and the scripts they name (from disk, or from stored texts).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile, Span};

/// Where scripts named by `script "PATH"` are read from.
pub trait ScriptSource: Sync {
    /// The text of the script at `path` (the blueprint file's folder joined with the written path).
    fn read(&self, path: &Path) -> std::io::Result<String>;

    /// Whether `path`, once links are followed, is still inside `folder`.
    /// Scripts held in memory have no links (their paths were checked when
    /// they were read from disk).
    fn stays_inside(&self, _folder: &Path, _path: &Path) -> bool {
        true
    }
}

/// Scripts read from disk.
pub struct DiskScripts;

impl ScriptSource for DiskScripts {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn stays_inside(&self, folder: &Path, path: &Path) -> bool {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        match (folder.canonicalize(), path.canonicalize()) {
            (Ok(folder), Ok(path)) => path.starts_with(folder),
            // A path that does not resolve is reported as missing when read.
            _ => true,
        }
    }
}

/// Scripts held in memory, by path (for sets stored in a database, and tests).
impl ScriptSource for BTreeMap<PathBuf, String> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// Lists the `.gov` files of `paths` (files as given, folders recursively), sorted.
pub fn collect_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no such file or folder: {}", path.display()),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub(super) fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() && !hidden && entry.file_name() != "target" {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "gov") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads files from disk into sources; a file that cannot be read becomes a diagnostic.
pub fn read_sources(files: &[PathBuf]) -> (Vec<Arc<SourceFile>>, Vec<Diagnostic>) {
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for path in files {
        let name = path.display().to_string();
        match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => sources.push(SourceFile::new(name, text)),
            Ok(Err(_)) => diagnostics.push(unreadable(&name, "it is not UTF-8 text")),
            Err(e) => diagnostics.push(unreadable(&name, &e.to_string())),
        }
    }
    (sources, diagnostics)
}

pub(super) fn unreadable(name: &str, why: &str) -> Diagnostic {
    let file = SourceFile::new(name, "");
    Diagnostic::new(
        Code::UnreadableFile,
        &file,
        Span::at(0),
        "",
        format!("cannot read `{name}`: {why}"),
    )
    .with_help("blueprint files must be readable UTF-8 text")
}
