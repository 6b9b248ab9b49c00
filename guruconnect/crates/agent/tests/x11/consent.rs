//! The consent window on a real X server: it appears with its title, a click on Accept or
//! Decline answers, and with nobody there it declines by itself when its time runs out.

use super::xvfb::Xvfb;
use guruconnect_agent::consent::x11::{X11Prompt, ACCEPT_BUTTON, DECLINE_BUTTON};
use guruconnect_agent::consent::{Answer, ConsentPrompt, Prompt};
use std::time::{Duration, Instant};

const TITLE: &str = "GuruConnect: remote support request";

fn prompt(timeout: Duration) -> Prompt {
    Prompt {
        technician_name: "Dana Tech".into(),
        reason: "printer queue".into(),
        timeout,
    }
}

/// Shows the prompt on its own thread; returns the window id once X knows it by its title.
fn show(x: &Xvfb, timeout: Duration) -> (String, std::thread::JoinHandle<Answer>) {
    let asker = X11Prompt {
        display: Some(x.display.clone()),
    };
    let question = prompt(timeout);
    let answer = std::thread::spawn(move || asker.ask(&question));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::process::Command::new("xdotool")
            .args(["search", "--name", TITLE])
            .env("DISPLAY", &x.display)
            .output()
            .expect("xdotool");
        let id = String::from_utf8_lossy(&found.stdout).trim().to_owned();
        if !id.is_empty() {
            return (id, answer);
        }
        assert!(
            Instant::now() < deadline,
            "the consent window never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn click(x: &Xvfb, window: &str, (bx, by, w, h): (i16, i16, u16, u16)) {
    let (cx, cy) = (bx + w as i16 / 2, by + h as i16 / 2);
    x.run(
        "xdotool",
        &[
            "mousemove",
            "--window",
            window,
            &cx.to_string(),
            &cy.to_string(),
            "click",
            "1",
        ],
    );
}

#[test]
fn accept_is_a_click_on_accept() {
    let x = Xvfb::start(800, 600);
    let (window, answer) = show(&x, Duration::from_secs(30));
    click(&x, &window, ACCEPT_BUTTON);
    assert_eq!(answer.join().expect("prompt thread"), Answer::Accepted);
}

#[test]
fn decline_is_a_click_on_decline_and_the_window_goes_away() {
    let x = Xvfb::start(800, 600);
    let (window, answer) = show(&x, Duration::from_secs(30));
    click(&x, &window, DECLINE_BUTTON);
    assert_eq!(answer.join().expect("prompt thread"), Answer::Declined);
    let left = std::process::Command::new("xdotool")
        .args(["search", "--name", TITLE])
        .env("DISPLAY", &x.display)
        .output()
        .expect("xdotool");
    assert!(
        left.stdout.is_empty(),
        "the window must be gone after the answer"
    );
}

#[test]
fn nobody_answering_is_a_timeout() {
    let x = Xvfb::start(800, 600);
    let (_window, answer) = show(&x, Duration::from_secs(1));
    assert_eq!(answer.join().expect("prompt thread"), Answer::TimedOut);
}
