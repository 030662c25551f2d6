//! Finding and loading TDengine's client library at run time.
//!
//! Where: `TAOS_LIBRARY_PATH` (a file, or a folder holding it) when set — and then only there,
//! so a wrong setting is reported instead of silently replaced by another installation —
//! otherwise the platform's default install paths, then the loader's own search path.
//!
//! How: libtaos 3.3.x is a thin wrapper that `dlopen`s its driver `libtaosnative` **by bare
//! name**; loaded from an absolute path outside the loader's search path it cannot find it, and
//! every call then fails. The driver is therefore loaded first, from the library's own folder,
//! so that the wrapper's lookup by name finds it already loaded. Before anything is handed to
//! the loader, ELF files are checked against the sizes their own headers declare: mapping a
//! truncated shared object "succeeds" and the process dies of SIGBUS on first touch.
//! `RTLD_NOW` makes an unresolvable symbol a load error instead of a crash at the first call.
//!
//! A library that loaded stays loaded for the life of the process (its threads and state
//! cannot be torn down safely); a failed attempt leaves nothing behind and is retried next time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use taosjs_core::Error;

use crate::api::{self, Api};

/// The environment variable naming the library (or its folder).
pub const LIBRARY_PATH_ENV: &str = "TAOS_LIBRARY_PATH";

#[cfg(target_os = "windows")]
mod names {
    pub const LIBRARY: &str = "taos.dll";
    pub const DRIVER: &str = "taosnative.dll";
    pub const DEFAULTS: &[&str] = &["C:\\TDengine\\driver\\taos.dll"];
}
#[cfg(target_os = "macos")]
mod names {
    pub const LIBRARY: &str = "libtaos.dylib";
    pub const DRIVER: &str = "libtaosnative.dylib";
    pub const DEFAULTS: &[&str] = &["/usr/local/lib/libtaos.dylib"];
}
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
mod names {
    pub const LIBRARY: &str = "libtaos.so";
    pub const DRIVER: &str = "libtaosnative.so";
    pub const DEFAULTS: &[&str] = &["/usr/local/taos/driver/libtaos.so", "/usr/lib/libtaos.so"];
}

/// The file name of the client library on this platform (`libtaos.so`, `libtaos.dylib`, `taos.dll`).
pub const LIBRARY_NAME: &str = names::LIBRARY;
/// The file name of libtaos 3.3's driver, loaded first from the library's folder.
pub const DRIVER_NAME: &str = names::DRIVER;

/// A place to look for the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// A path given by `TAOS_LIBRARY_PATH` (or a caller).
    Configured(PathBuf),
    /// A platform default install path.
    Default(PathBuf),
    /// A bare name resolved by the system loader (LD_LIBRARY_PATH, ld.so.cache, PATH, …).
    SearchPath(&'static str),
}

impl Candidate {
    fn describe(&self) -> String {
        match self {
            Candidate::Configured(p) => format!("{LIBRARY_PATH_ENV}={}", p.display()),
            Candidate::Default(p) => p.display().to_string(),
            Candidate::SearchPath(name) => format!("{name} through the system loader's search path ({})", search_path_hint()),
        }
    }
}

fn search_path_hint() -> &'static str {
    if cfg!(target_os = "windows") {
        "the application folder, the system folders, PATH"
    } else if cfg!(target_os = "macos") {
        "DYLD_LIBRARY_PATH, the default library folders"
    } else {
        "LD_LIBRARY_PATH, /etc/ld.so.cache, /lib, /usr/lib"
    }
}

/// Where to look, in order, given the value of `TAOS_LIBRARY_PATH` (if any).
pub fn candidates(configured: Option<&std::ffi::OsStr>) -> Vec<Candidate> {
    if let Some(value) = configured.filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        let path = if path.is_dir() { path.join(LIBRARY_NAME) } else { path };
        return vec![Candidate::Configured(path)];
    }
    let mut list: Vec<Candidate> = names::DEFAULTS.iter().map(|p| Candidate::Default(PathBuf::from(p))).collect();
    list.push(Candidate::SearchPath(LIBRARY_NAME));
    list
}

/// The loaded client library.
pub struct Library {
    pub(crate) api: Api,
    path: String,
    version: String,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.path).field("version", &self.version).finish()
    }
}

impl Library {
    /// Where it was loaded from (a path, or the bare name the loader resolved).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The client version it reports (`taos_get_client_info`, e.g. `3.3.7.5`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The library of this process: loaded on first use from `TAOS_LIBRARY_PATH`, the default
    /// install paths or the loader's search path (see the module documentation). Failures are
    /// [`taosjs_core::ErrorKind::Interface`] errors naming every place tried, why each failed
    /// and what to do; they are not remembered, so a later call tries again.
    pub fn get() -> Result<&'static Library, Error> {
        static LOADED: OnceLock<&'static Library> = OnceLock::new();
        static LOADING: Mutex<()> = Mutex::new(());
        if let Some(lib) = LOADED.get() {
            return Ok(lib);
        }
        let _one_at_a_time = LOADING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lib) = LOADED.get() {
            return Ok(lib);
        }
        let configured = std::env::var_os(LIBRARY_PATH_ENV);
        let lib = load_first(&candidates(configured.as_deref()))?;
        Ok(LOADED.get_or_init(|| lib))
    }

    /// Loads the first candidate that works (for tests and embedders that choose the paths).
    /// A library that loads is kept for the life of the process.
    pub fn load_from(candidates: &[Candidate]) -> Result<&'static Library, Error> {
        load_first(candidates)
    }
}

fn load_first(candidates: &[Candidate]) -> Result<&'static Library, Error> {
    let mut tried = Vec::new();
    for c in candidates {
        match try_load(c) {
            Ok(lib) => return Ok(lib),
            Err(why) => tried.push((c.describe(), why)),
        }
    }
    Err(not_loaded(&tried))
}

/// A library function this client version does not have.
pub(crate) fn missing(lib: &Library, function: &str) -> Error {
    Error::not_supported(format!(
        "{function} is not available in TDengine client {}: this feature needs a newer TDengine client",
        lib.version()
    ))
}

/// Why one candidate failed.
#[derive(Debug)]
enum Failure {
    NotFound,
    Unusable(String),
}

fn not_loaded(tried: &[(String, Failure)]) -> Error {
    let found_any = tried.iter().any(|(_, f)| matches!(f, Failure::Unusable(_)));
    let mut m = if found_any {
        format!("the TDengine client library ({LIBRARY_NAME}) could not be loaded for a taos:// connection. Tried:")
    } else {
        format!("the TDengine client library ({LIBRARY_NAME}) was not found for a taos:// connection. Looked in:")
    };
    for (i, (place, why)) in tried.iter().enumerate() {
        let _ = write!(m, " ({}) {place}: ", i + 1);
        match why {
            Failure::NotFound => m.push_str("no such file"),
            Failure::Unusable(reason) => m.push_str(reason),
        }
        m.push(';');
    }
    m.pop();
    let _ = write!(
        m,
        ". Install the TDengine client (TDengine 3.x; it provides {LIBRARY_NAME}) or set {LIBRARY_PATH_ENV} to the file or its folder — or connect through taosAdapter with a ws:// DSN instead, which needs no native library."
    );
    Error::interface(m)
}

fn try_load(candidate: &Candidate) -> Result<&'static Library, Failure> {
    let (target, folder): (std::ffi::OsString, Option<PathBuf>) = match candidate {
        Candidate::Configured(p) | Candidate::Default(p) => {
            if !p.is_file() {
                return Err(Failure::NotFound);
            }
            check_file(p).map_err(Failure::Unusable)?;
            let mut folders = vec![p.parent().map(Path::to_path_buf)];
            // libtaos.so is often a symlink into the real installation folder.
            if let Ok(real) = std::fs::canonicalize(p) {
                folders.push(real.parent().map(Path::to_path_buf));
            }
            let driver_folder = folders.into_iter().flatten().find(|f| f.join(DRIVER_NAME).is_file());
            (p.clone().into_os_string(), driver_folder)
        }
        Candidate::SearchPath(name) => ((*name).into(), None),
    };
    // The driver first (see the module documentation); its absence is fine for clients
    // before 3.3.6, where libtaos is the whole client.
    if let Some(folder) = &folder {
        let driver = folder.join(DRIVER_NAME);
        check_file(&driver).map_err(|why| Failure::Unusable(format!("its driver {}: {why}", driver.display())))?;
        let lib = open(driver.as_os_str(), true)
            .map_err(|why| Failure::Unusable(format!("its driver {}: {why}", driver.display())))?;
        // Loaded for the process: libtaos will find it by name.
        std::mem::forget(lib);
    }
    let lib = open(&target, false).map_err(|why| match candidate {
        Candidate::SearchPath(_) if looks_absent(&why) => Failure::NotFound,
        _ => Failure::Unusable(why),
    })?;
    // SAFETY: a library that exports these names is TDengine's client, whose functions have
    // the signatures of taos.h; the library is never unloaded (leaked below).
    let api = unsafe { Api::resolve(&lib) }.map_err(|missing| {
        Failure::Unusable(format!(
            "it has no function `{missing}`: not a TDengine 3.x client library (taosjs needs TDengine 3.0 or newer)"
        ))
    })?;
    // SAFETY: static string from the library (or its compiled-in version).
    let version = unsafe { api::text((api.taos_get_client_info)()) };
    if !version.starts_with('3') {
        return Err(Failure::Unusable(format!(
            "it is TDengine client version {version:?}; taosjs needs a TDengine 3.x client"
        )));
    }
    // Initialising may start the library's threads: from here on it is never unloaded.
    let lib = std::mem::ManuallyDrop::new(lib);
    // Load the driver and initialise now: libtaos 3.3's wrapper silently ignores calls (an
    // async query would never call back) when its driver is missing.
    // SAFETY: taos_init is idempotent and thread-safe (pthread_once inside).
    let code = unsafe { (api.taos_init)() };
    if code != 0 {
        // SAFETY: NULL asks for this thread's last error.
        let (errno, text) = unsafe { ((api.taos_errno)(std::ptr::null_mut()), api::text((api.taos_errstr)(std::ptr::null_mut()))) };
        return Err(Failure::Unusable(format!(
            "taos_init failed: [0x{:04X}] {text} (libtaos 3.3 also needs {DRIVER_NAME} beside it or on the loader's search path)",
            errno & 0xFFFF
        )));
    }
    let path = target.to_string_lossy().into_owned();
    let _ = lib;
    Ok(Box::leak(Box::new(Library { api, path, version })))
}

fn looks_absent(loader_message: &str) -> bool {
    let m = loader_message.to_ascii_lowercase();
    m.contains("no such file") || m.contains("not found") || m.contains("cannot find") || m.contains("could not be found")
}

#[cfg(unix)]
fn open(path: &std::ffi::OsStr, global: bool) -> Result<libloading::Library, String> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_LOCAL, RTLD_NOW};
    let flags = RTLD_NOW | if global { RTLD_GLOBAL } else { RTLD_LOCAL };
    // SAFETY: loading runs the library's initialisers; the files were checked above, and
    // TDengine's client initialisers only set up its own state.
    unsafe { Library::open(Some(path), flags) }.map(Into::into).map_err(|e| loader_reason(&e))
}

#[cfg(windows)]
fn open(path: &std::ffi::OsStr, _global: bool) -> Result<libloading::Library, String> {
    use libloading::os::windows::{Library, LOAD_WITH_ALTERED_SEARCH_PATH};
    // Dependencies are looked up in the DLL's own folder first.
    // SAFETY: as for unix above.
    unsafe { Library::load_with_flags(path, LOAD_WITH_ALTERED_SEARCH_PATH) }.map(Into::into).map_err(|e| loader_reason(&e))
}

/// The loader's own message, without libloading's wrapping.
fn loader_reason(e: &libloading::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    format!("the loader refused it: {text}")
}

/// Refuses files the loader would map without complaint but that would crash the process:
/// ELF files shorter than their headers say. Other formats are left to the loader, which
/// refuses damaged Mach-O and PE files with an error of its own.
pub fn check_file(path: &Path) -> Result<(), String> {
    let bytes_needed = elf_extent(path).map_err(|e| format!("cannot read it: {e}"))?;
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?.len();
    match bytes_needed {
        Some(needed) if needed > size => Err(format!(
            "the file is damaged: its ELF headers describe {needed} bytes but it has {size} ({} missing; an interrupted copy or download?) — reinstall the TDengine client",
            needed - size
        )),
        _ => Ok(()),
    }
}

/// How many bytes an ELF file's own headers say it spans (program segments, header tables);
/// `None` when it is not ELF. A header too short to read is "needs 64 bytes".
fn elf_extent(path: &Path) -> std::io::Result<Option<u64>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let mut header = [0u8; 64];
    let n = read_up_to(&mut f, &mut header)?;
    if n < 4 || &header[..4] != b"\x7fELF" {
        return Ok(None);
    }
    let is64 = header[4] == 2;
    let header_len: u64 = if is64 { 64 } else { 52 };
    if (n as u64) < header_len {
        return Ok(Some(header_len));
    }
    let little = header[5] != 2;
    let u16_at = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1]];
        u64::from(if little { u16::from_le_bytes(v) } else { u16::from_be_bytes(v) })
    };
    let u32_at = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        u64::from(if little { u32::from_le_bytes(v) } else { u32::from_be_bytes(v) })
    };
    let word_at = |b: &[u8], at: usize| {
        if is64 {
            let mut v = [0u8; 8];
            v.copy_from_slice(&b[at..at + 8]);
            if little {
                u64::from_le_bytes(v)
            } else {
                u64::from_be_bytes(v)
            }
        } else {
            u32_at(b, at)
        }
    };
    let (phoff, shoff) = if is64 { (word_at(&header, 0x20), word_at(&header, 0x28)) } else { (word_at(&header, 0x1C), word_at(&header, 0x20)) };
    let (phentsize, phnum) = if is64 { (u16_at(&header, 0x36), u16_at(&header, 0x38)) } else { (u16_at(&header, 0x2A), u16_at(&header, 0x2C)) };
    let (shentsize, shnum) = if is64 { (u16_at(&header, 0x3A), u16_at(&header, 0x3C)) } else { (u16_at(&header, 0x2E), u16_at(&header, 0x30)) };
    let mut needed = header_len
        .max(phoff.saturating_add(phentsize.saturating_mul(phnum)))
        .max(shoff.saturating_add(shentsize.saturating_mul(shnum)));
    let size = f.metadata()?.len();
    let table_len = phentsize.saturating_mul(phnum);
    let min_entry = if is64 { 0x28 } else { 0x14 };
    if phentsize >= min_entry && phoff.saturating_add(table_len) <= size && table_len <= 1 << 20 {
        let mut table = vec![0u8; table_len as usize];
        f.seek(SeekFrom::Start(phoff))?;
        f.read_exact(&mut table)?;
        for i in 0..phnum as usize {
            let e = &table[i * phentsize as usize..];
            let (offset, file_size) = if is64 { (word_at(e, 0x08), word_at(e, 0x20)) } else { (u32_at(e, 0x04), u32_at(e, 0x10)) };
            needed = needed.max(offset.saturating_add(file_size));
        }
    }
    Ok(Some(needed))
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_is_the_only_candidate_and_a_folder_means_the_library_in_it() {
        let dir = std::env::temp_dir();
        assert_eq!(candidates(Some(dir.as_os_str())), vec![Candidate::Configured(dir.join(LIBRARY_NAME))]);
        let file = PathBuf::from("/nowhere/libtaos.so.3");
        assert_eq!(candidates(Some(file.as_os_str())), vec![Candidate::Configured(file)]);
        let defaults = candidates(None);
        assert_eq!(defaults.last(), Some(&Candidate::SearchPath(LIBRARY_NAME)));
        assert!(defaults.len() >= 2);
        assert_eq!(candidates(Some(std::ffi::OsStr::new(""))), defaults, "an empty variable is unset");
    }
}
