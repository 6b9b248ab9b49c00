//! The GuruConnect agent: captures the endpoint's screen, encodes it with `guruconnect-codec`,
//! injects the technician's input, and speaks the relay protocol. Platform code sits behind the
//! `Capturer` and `InputInjector` traits; Linux X11 is implemented here, Windows beside it.

pub mod capture;
pub mod identity;
pub mod input;
pub mod keymap;
pub mod snapshot;
