//! The real agent paced by a real viewer's acknowledgements: a viewer that stops reading for
//! ten seconds while the desktop keeps changing sees the screen as it is then within the few
//! frames that were in flight, and a small change after a burst still arrives.

use super::{join_live_session, online, start_agent, watching, xvfb};
use guruconnect_codec::Decoder;
use guruconnect_testkit::TestApp;
use std::time::{Duration, Instant};
use x11rb::protocol::xproto::EventMask;
use xvfb::{solid_window, Xvfb};

/// What the agent keeps unconsumed (`FRAMES_IN_FLIGHT`), plus the fresh picture after them.
const FRAMES_TO_CATCH_UP: u32 = 2 + 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_stops_reading_for_ten_seconds_resumes_on_the_current_screen() {
    let app = TestApp::spawn().await;
    let x = Xvfb::start(640, 480);
    let (key, _) = app.mint_key("paced-pc").await;
    let _agent = start_agent(&app, &x, "paced-pc", &key);
    online(&app, "paced-pc").await;
    let mut viewer = join_live_session(&app).await;
    let mut decoder = Decoder::new().expect("decoder");
    watching::until_the_picture_is(&mut viewer.ws, &mut decoder, &x.xwd_root()).await;

    // The page stops reading (a frozen tab, a starved machine) while the whole desktop changes
    // colour twenty times a second for ten seconds.
    let started = Instant::now();
    let mut shade = 0u32;
    while started.elapsed() < Duration::from_secs(10) {
        shade += 1;
        let colour = format!("#{:02x}{:02x}40", (shade * 7) % 256, (shade * 13) % 256);
        x.run("xsetroot", &["-solid", &colour]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    x.run("xsetroot", &["-solid", "#1e90ff"]);
    let now = x.xwd_root();
    let resumed = watching::until_the_picture_is(&mut viewer.ws, &mut decoder, &now).await;
    assert!(
        resumed.frames <= FRAMES_TO_CATCH_UP,
        "after {shade} changes the screen as it is was on the page within {FRAMES_TO_CATCH_UP} \
         frames, not behind a backlog: took {}",
        resumed.frames
    );

    // After that burst a small change still reaches the page (it used to freeze here).
    let (conn, root) = x.connect();
    solid_window(
        &conn,
        root,
        (300, 200, 24, 16),
        0xffff00,
        EventMask::NO_EVENT,
    );
    let after = x.xwd_root();
    let small = watching::until_the_picture_is(&mut viewer.ws, &mut decoder, &after).await;
    assert!(small.frames <= FRAMES_TO_CATCH_UP, "took {}", small.frames);
}
