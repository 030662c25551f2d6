//! Loading the client library when it is absent or unusable: always an InterfaceError that
//! names the library, every place tried and why each failed, and what to do — never a crash.
//! These run everywhere (no TDengine needed).

use std::path::{Path, PathBuf};

use taosjs_core::ErrorKind;
use taosjs_native::{check_file, Candidate, Library, LIBRARY_NAME};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("taosjs-native-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A shared library of this process that is not libtaos (the C library).
fn some_other_shared_library() -> PathBuf {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("Linux /proc");
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| p.contains("/libc.so") || p.contains("/libc-"))
        .map(PathBuf::from)
        .expect("libc is mapped")
}

fn load_error(candidates: &[Candidate]) -> taosjs_core::Error {
    Library::load_from(candidates).expect_err("must not load")
}

#[test]
fn an_absent_library_names_what_was_looked_for_where_and_what_to_do() {
    let missing = PathBuf::from("/nonexistent/taosjs/libtaos.so");
    let e = load_error(&[Candidate::Configured(missing), Candidate::SearchPath("libtaos-taosjs-test-absent.so")]);
    assert_eq!(e.kind, ErrorKind::Interface);
    assert_eq!(e.errno, None);
    let m = &e.message;
    assert!(m.contains(LIBRARY_NAME), "{m}");
    assert!(m.contains("was not found"), "{m}");
    assert!(m.contains("TAOS_LIBRARY_PATH=/nonexistent/taosjs/libtaos.so: no such file"), "{m}");
    assert!(m.contains("libtaos-taosjs-test-absent.so through the system loader's search path"), "{m}");
    assert!(m.contains("Install the TDengine client"), "{m}");
    assert!(m.contains("ws://"), "{m}");
}

#[test]
fn the_default_search_covers_the_install_paths_and_the_loader() {
    let list = taosjs_native::candidates(None);
    #[cfg(target_os = "linux")]
    {
        assert!(list.contains(&Candidate::Default("/usr/local/taos/driver/libtaos.so".into())));
        assert!(list.contains(&Candidate::Default("/usr/lib/libtaos.so".into())));
    }
    assert_eq!(list.last(), Some(&Candidate::SearchPath(LIBRARY_NAME)));
}

#[cfg(target_os = "linux")]
#[test]
fn a_truncated_library_is_refused_before_the_loader_maps_it() {
    let dir = temp_dir("truncated");
    let whole = std::fs::read(some_other_shared_library()).unwrap();
    let path = dir.join(LIBRARY_NAME);
    for keep in [whole.len() / 2, whole.len() - 1, 100, 64, 10] {
        std::fs::write(&path, &whole[..keep]).unwrap();
        let why = check_file(&path).expect_err("a truncated ELF file is damaged");
        assert!(why.contains("damaged") || keep < 64, "{keep}: {why}");
        // Loading it must fail with the reason, not SIGBUS the test process.
        let e = load_error(&[Candidate::Configured(path.clone())]);
        assert_eq!(e.kind, ErrorKind::Interface);
        assert!(e.message.contains("could not be loaded"), "{}", e.message);
        assert!(e.message.contains(&path.display().to_string()), "{}", e.message);
    }
    std::fs::write(&path, &whole).unwrap();
    check_file(&path).expect("the whole file is fine");
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_that_is_not_a_library_gives_the_loaders_reason() {
    let dir = temp_dir("garbage");
    let path = dir.join(LIBRARY_NAME);
    for content in [&b""[..], b"not a library at all\n", &[0u8; 4096][..]] {
        std::fs::write(&path, content).unwrap();
        let e = load_error(&[Candidate::Configured(path.clone())]);
        assert_eq!(e.kind, ErrorKind::Interface);
        assert!(e.message.contains("the loader refused it"), "{}", e.message);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_library_without_the_taos_api_is_refused_by_name() {
    let e = load_error(&[Candidate::Configured(some_other_shared_library())]);
    assert_eq!(e.kind, ErrorKind::Interface);
    assert!(e.message.contains("has no function `taos_init`"), "{}", e.message);
    assert!(e.message.contains("not a TDengine 3.x client library"), "{}", e.message);
}

#[cfg(target_os = "linux")]
#[test]
fn a_damaged_driver_beside_the_library_is_named() {
    let dir = temp_dir("driver");
    let whole = std::fs::read(some_other_shared_library()).unwrap();
    std::fs::write(dir.join(LIBRARY_NAME), &whole).unwrap();
    std::fs::write(dir.join(taosjs_native::DRIVER_NAME), &whole[..whole.len() / 3]).unwrap();
    let e = load_error(&[Candidate::Configured(dir.join(LIBRARY_NAME))]);
    assert!(e.message.contains(&format!("its driver {}", Path::new(&dir).join(taosjs_native::DRIVER_NAME).display())), "{}", e.message);
    assert!(e.message.contains("damaged"), "{}", e.message);
}

#[test]
fn a_folder_in_the_variable_means_the_library_inside_it() {
    let dir = temp_dir("folder");
    assert_eq!(taosjs_native::candidates(Some(dir.as_os_str())), vec![Candidate::Configured(dir.join(LIBRARY_NAME))]);
    let e = load_error(&taosjs_native::candidates(Some(dir.as_os_str())));
    assert!(e.message.contains(&format!("{}: no such file", dir.join(LIBRARY_NAME).display())), "{}", e.message);
}
