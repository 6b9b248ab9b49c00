//! The GuruConnect agent: captures the endpoint's screen, encodes it with `guruconnect-codec`,
//! injects the technician's input, and speaks the relay protocol. Platform code sits behind the
//! `Capturer` and `InputInjector` traits; Linux X11 is implemented here, Windows beside it.

pub mod backoff;
pub mod capture;
pub mod config;
pub mod consent;
pub mod desktop;
pub mod identity;
pub mod input;
pub mod inventory;
pub mod keymap;
pub mod logging;
pub mod platform;
pub mod run;
pub mod secret_file;
pub mod service;
pub mod session;
pub mod snapshot;
pub mod tls;
pub mod wire;
#[cfg(target_os = "linux")]
pub mod x11_connect;
