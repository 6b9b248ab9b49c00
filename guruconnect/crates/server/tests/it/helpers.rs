//! The shared harness (`guruconnect-testkit`): the real server in-process, a test agent and a
//! test viewer speaking the real protocol.

pub use guruconnect_testkit::*;
