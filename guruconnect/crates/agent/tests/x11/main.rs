//! The agent's X11 capture and input against a real X server: each test starts its own Xvfb
//! (installed by scripts/x11-deps.sh), draws a known scene, and checks what the agent sees and
//! does against the X server's own answers (xwd dumps, XQueryPointer, events, a real xterm).

mod capture;
mod consent;
mod input;
mod xvfb;
