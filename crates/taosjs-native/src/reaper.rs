//! One thread that releases library objects (results, statements, connections) for code that
//! must not call into libtaos itself: C callbacks (the library's own threads) and `Drop`
//! implementations (which may run on an async runtime's worker or on Node's main thread).

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

fn queue() -> &'static Mutex<Sender<Job>> {
    static QUEUE: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let spawned = std::thread::Builder::new().name("taosjs-native-release".into()).spawn(move || {
            for job in rx {
                // A panic in one release must not stop the others.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        if spawned.is_err() {
            // Without the thread, jobs run where they are queued (see `release`).
        }
        Mutex::new(tx)
    })
}

/// Runs `job` on the release thread (in queue order), or right here if that thread is gone.
pub(crate) fn release(job: impl FnOnce() + Send + 'static) {
    let sent = queue().lock().map(|q| q.send(Box::new(job)));
    if let Ok(Err(failed)) = sent {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(failed.0));
    }
}
