//! GuruRMM's credentials: per-agent keys (`grmm_` + 256 bits, kept as SHA-256) and site codes
//! (kept as HMAC-SHA256 under the install's key: a plain hash of a ~29-bit code could be
//! brute-forced from a database dump). The primitives are `server_kit::crypto`'s.

use rand::Rng;
pub use server_kit::crypto::{constant_time_eq, hmac_hex, random_bytes, sha256_hex};

pub use gururmm_protocol::AGENT_KEY_PREFIX;

/// A new per-agent key: `grmm_` + 256 random bits, URL-safe.
pub fn new_agent_key() -> String {
    server_kit::crypto::new_token(AGENT_KEY_PREFIX)
}

/// 256 short, distinct, easy-to-read words: 8 bits each.
const WORDS: &str = "ACORN AMBER ANCHOR APPLE ARROW ASPEN ATLAS AUTUMN BADGER BAMBOO BANJO BARLEY \
BASIL BEACON BEAR BERRY BIRCH BISON BLAZE BLOOM BLUFF BOLT BONSAI BRAVE BREEZE BRICK BRIDGE BROOK \
CABIN CACTUS CAMEL CANOE CANYON CARGO CEDAR CHALK CHERRY CIDER CLIFF CLOUD CLOVER COBALT COMET \
CORAL COTTON COYOTE CRANE CREEK CRYSTAL CYPRESS DAISY DELTA DESERT DIAMOND DOLPHIN DOVE DRAGON \
DRIFT DUNE EAGLE EASEL ECHO EMBER EMERALD FALCON FERN FIELD FIG FJORD FLAME FLINT FOREST FOSSIL \
FOX FROST GALAXY GARNET GECKO GEYSER GINGER GLACIER GLADE GOLD GRANITE GROVE GULL HARBOR HAWK \
HAZEL HERON HICKORY HILL HONEY HORIZON IBIS ICEBERG INDIGO IRIS IRON IVORY IVY JADE JAGUAR \
JASMINE JUNIPER KELP KESTREL KIWI KOALA LAGOON LANTERN LARCH LAUREL LAVA LEMON LILAC LILY LINEN \
LION LOTUS LUNAR LYNX MAPLE MARBLE MARSH MEADOW MESA METEOR MINT MIST MONSOON MOOSE MOSS MOUNTAIN \
NECTAR NEEDLE NIMBUS NORTH NUTMEG OAK OASIS OCEAN OLIVE ONYX OPAL ORBIT ORCHID OTTER OWL PAPAYA \
PEARL PEBBLE PELICAN PEPPER PINE PIXEL PLAINS PLUM POLAR POPPY PRAIRIE PRISM PUFFIN QUARTZ QUAIL \
RAIN RAVEN REEF RIDGE RIVER ROBIN ROCKET ROSE RUBY SABLE SAFFRON SAGE SALMON SAPPHIRE SEQUOIA \
SHADOW SHELL SIERRA SILVER SKY SLATE SNOW SOLAR SPARROW SPRUCE STONE STORM SUMMIT SUN SWALLOW \
TALON TANGO TEAL THISTLE THUNDER TIDE TIGER TIMBER TOPAZ TULIP TUNDRA TURTLE UMBER VALLEY \
VELVET VIOLET VOLCANO WALNUT WATER WAVE WHEAT WILLOW WIND WINTER WOLF WREN YARROW YEW ZEBRA \
ZENITH ZEPHYR ALPINE BASALT CANARY DARK DAWN DUSK ELM FAWN GLOW HALO KITE LARK LEAF MOON NOVA \
PEAK PLUME RAPID REED SAND SEAL SHORE SPARK STAR SWIFT TERN TRAIL VINE WHALE WISP";

fn words() -> Vec<&'static str> {
    WORDS.split_whitespace().collect()
}

/// A new site code, `WORD-WORD-NNNN` (e.g. `DARK-GROVE-7839`): 8 + 8 + 13 bits, so it is
/// stored keyed-hashed and failed attempts are throttled per address.
pub fn new_site_code() -> String {
    let words = words();
    let mut rng = rand::rngs::OsRng;
    format!(
        "{}-{}-{}",
        words[rng.gen_range(0..words.len())],
        words[rng.gen_range(0..words.len())],
        rng.gen_range(1000..10000)
    )
}

/// Canonical form of a typed site code (upper case, trimmed), or None if it is not
/// `WORD-WORD-NUMBER`.
pub fn normalize_site_code(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    let parts: Vec<&str> = code.split('-').collect();
    let word =
        |w: &str| !w.is_empty() && w.len() <= 16 && w.bytes().all(|b| b.is_ascii_alphanumeric());
    let ok = parts.len() == 3
        && word(parts[0])
        && word(parts[1])
        && (1..=6).contains(&parts[2].len())
        && parts[2].bytes().all(|b| b.is_ascii_digit());
    ok.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_has_256_distinct_words() {
        let mut list = words();
        assert_eq!(list.len(), 256);
        list.sort_unstable();
        list.dedup();
        assert_eq!(list.len(), 256);
    }

    #[test]
    fn site_codes_have_the_seed_format() {
        for _ in 0..50 {
            let code = new_site_code();
            assert_eq!(normalize_site_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_eq!(
            normalize_site_code(" dark-grove-7839 ").as_deref(),
            Some("DARK-GROVE-7839")
        );
        assert_eq!(normalize_site_code("grmm_abc"), None);
        assert_eq!(normalize_site_code("DARK-GROVE"), None);
    }

    #[test]
    fn agent_keys_carry_256_bits_and_the_prefix() {
        let key = new_agent_key();
        // 32 bytes are 43 characters of unpadded base64.
        assert_eq!(key.strip_prefix(AGENT_KEY_PREFIX).map(str::len), Some(43));
        assert_ne!(key, new_agent_key());
    }
}
