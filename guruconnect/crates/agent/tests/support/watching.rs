//! What a test viewer sees of a real agent: frames decoded until the picture equals the X
//! server's own dump (shared by the end-to-end and Wine suites).

use guruconnect_agent::wire;
use guruconnect_codec::Decoder;
use guruconnect_proto::envelope::Payload;
use guruconnect_testkit::{ack, recv, Ws};

/// The screen as `xwd` dumps it: width, height, BGR pixels row-major.
pub type Screen = (u32, u32, Vec<[u8; 3]>);

/// What it took to see the screen.
pub struct Seen {
    /// The display the agent said it shows.
    pub display_id: String,
    /// Frames decoded on the way.
    pub frames: u32,
}

/// Reads the viewer's socket, decoding (and acknowledging, as the web viewer does) every frame
/// into `decoder`, until its picture equals `screen` pixel for pixel (colour channels); fails
/// after 200 frames that never do.
pub async fn until_the_picture_is(ws: &mut Ws, decoder: &mut Decoder, screen: &Screen) -> Seen {
    let mut seen = Seen {
        display_id: String::new(),
        frames: 0,
    };
    while !shows(decoder, screen) {
        match recv(ws).await.expect("stream") {
            Payload::DisplayList(list) => seen.display_id = list.selected_display_id,
            Payload::VideoFrame(f) => {
                let encoded = wire::encoded_frame(&f).expect("our encoding");
                decoder.apply(&encoded).expect("frame decodes");
                ack(ws, f.sequence).await;
                seen.frames += 1;
                assert!(
                    seen.frames < 200,
                    "the decoded picture never matched the screen"
                );
            }
            _ => {}
        }
    }
    seen
}

fn shows(decoder: &Decoder, (w, h, screen): &Screen) -> bool {
    decoder.picture().is_some_and(|p| {
        p.width() == *w
            && p.height() == *h
            && (0..*h).all(|y| (0..*w).all(|x| p.pixel(x, y)[..3] == screen[(y * w + x) as usize]))
    })
}
