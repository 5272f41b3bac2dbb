//! A background loop that can be told to stop (the email worker, the domain re-check).

use std::future::Future;

use tokio::{sync::watch, task::JoinHandle};

/// A running loop: `spawn` gives it the receiving half of its stop signal.
pub struct Worker {
    name: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Spawns `run` on the current tokio runtime with the stop signal it must watch (it turns
    /// true once [`Worker::stop`] is called; the loop finishes what it is doing first).
    pub fn spawn<F>(name: &'static str, run: impl FnOnce(watch::Receiver<bool>) -> F) -> Worker
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopping) = watch::channel(false);
        Worker { name, stop, task: tokio::spawn(run(stopping)) }
    }

    /// Tells the loop to stop and returns a future that resolves once it has. Dropping the
    /// worker instead leaves the loop running.
    pub fn stop(self) -> impl Future<Output = ()> {
        let _ = self.stop.send(true);
        async move {
            if let Err(e) = self.task.await {
                tracing::error!(error = %e, worker = self.name, "background worker ended abnormally");
            }
        }
    }
}
