//! What scripts print (`print`, `debug`): written to the log, but bounded
//! per call and per minute, so a script cannot flood the daemon's log; what
//! is over the limit is dropped, with one notice saying so.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bytes of output one hook call may write.
pub const MAX_OUTPUT_PER_CALL: usize = 16 * 1024;
/// Bytes of output the scripts of one set may write in a minute.
pub const MAX_OUTPUT_PER_MINUTE: usize = 256 * 1024;

/// The output allowance of the scripts of one set.
#[derive(Debug)]
pub struct OutputBudget {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Written by the current call.
    call: usize,
    /// Written since `minute_start`.
    minute: usize,
    minute_start: Instant,
    /// The notice of dropped output was written for this call or minute.
    noticed: bool,
}

impl Default for OutputBudget {
    fn default() -> Self {
        OutputBudget {
            state: Mutex::new(State {
                call: 0,
                minute: 0,
                minute_start: Instant::now(),
                noticed: false,
            }),
        }
    }
}

impl OutputBudget {
    /// A hook call starts: its own allowance is whole again.
    pub fn start_call(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.call = 0;
            s.noticed = false;
        }
    }

    /// Whether `len` more bytes may be written now; the first refusal of a
    /// call or a minute also says so on the log.
    pub fn allows(&self, len: usize, prefix: &str) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        if s.minute_start.elapsed() >= Duration::from_secs(60) {
            s.minute = 0;
            s.minute_start = Instant::now();
            s.noticed = false;
        }
        if s.call + len > MAX_OUTPUT_PER_CALL || s.minute + len > MAX_OUTPUT_PER_MINUTE {
            if !s.noticed {
                s.noticed = true;
                eprintln!(
                    "{prefix}: script output over its limit ({MAX_OUTPUT_PER_CALL} bytes a call, {MAX_OUTPUT_PER_MINUTE} a minute); the rest is dropped"
                );
            }
            return false;
        }
        s.call += len;
        s.minute += len;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_stops_at_the_call_limit_and_starts_again_with_the_next_call() {
        let budget = OutputBudget::default();
        budget.start_call();
        let line = MAX_OUTPUT_PER_CALL / 4;
        let written = (0..100).filter(|_| budget.allows(line, "test")).count();
        assert_eq!(written, 4);
        budget.start_call();
        assert!(budget.allows(line, "test"));
    }

    #[test]
    fn output_stops_at_the_minute_limit_across_calls() {
        let budget = OutputBudget::default();
        let mut written = 0;
        for _ in 0..100 {
            budget.start_call();
            written += (0..4)
                .filter(|_| budget.allows(MAX_OUTPUT_PER_CALL / 4, "test"))
                .count()
                * (MAX_OUTPUT_PER_CALL / 4);
        }
        assert_eq!(written, MAX_OUTPUT_PER_MINUTE);
    }
}
