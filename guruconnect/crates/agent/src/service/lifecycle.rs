//! The service lifecycle as the Windows SCM wants it reported — StartPending, Running,
//! StopPending, Stopped — with stop and shutdown arriving as a flag the work polls. Kept apart
//! from the SCM so the order and the stop handling are tested on every platform.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    StartPending,
    Running,
    StopPending,
    Stopped { exit_code: u32 },
}

/// Where states are reported (the SCM's status handle on Windows).
pub trait StatusSink {
    fn report(&mut self, state: State) -> anyhow::Result<()>;
}

/// Set by the control handler on Stop or Shutdown; the work polls it.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Reports the start, runs `work` until it returns (it must return soon after the flag is
/// set), then reports the stop with exit code 0 on success and 1 on failure.
pub fn run<S: StatusSink>(
    sink: &mut S,
    stop: &StopFlag,
    work: impl FnOnce(&StopFlag) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    sink.report(State::StartPending)?;
    sink.report(State::Running)?;
    let result = work(stop);
    sink.report(State::StopPending)?;
    let exit_code = u32::from(result.is_err());
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "the agent service failed");
    }
    sink.report(State::Stopped { exit_code })?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Default)]
    struct Recorder(Vec<State>);

    impl StatusSink for Recorder {
        fn report(&mut self, state: State) -> anyhow::Result<()> {
            self.0.push(state);
            Ok(())
        }
    }

    #[test]
    fn states_come_in_scm_order_and_stop_ends_the_work() {
        let stop = StopFlag::default();
        let controller = stop.clone();
        // The control handler runs on another thread, as the SCM's does.
        let handler = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            controller.stop();
        });
        let mut sink = Recorder::default();
        run(&mut sink, &stop, |flag| {
            while !flag.is_stopped() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        })
        .expect("clean stop");
        handler.join().expect("handler");
        assert_eq!(
            sink.0,
            [
                State::StartPending,
                State::Running,
                State::StopPending,
                State::Stopped { exit_code: 0 }
            ]
        );
    }

    #[test]
    fn a_failing_service_still_reports_stopped_with_an_error_code() {
        let mut sink = Recorder::default();
        let result = run(&mut sink, &StopFlag::default(), |_| {
            anyhow::bail!("no settings")
        });
        assert!(result.is_err());
        assert_eq!(sink.0.last(), Some(&State::Stopped { exit_code: 1 }));
    }
}
