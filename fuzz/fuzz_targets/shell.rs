//! The shell-command reader (`checks::parse::shell`) every check that reads `RUN` lines and
//! CI `run:` steps uses, and the image-reference parser: any text ends in commands or an
//! error, never a panic, a hang or unbounded memory; a reference parsed as pinned carries a
//! full sha256 digest.
#![no_main]

use checks::parse::image_ref::ImageRef;
use checks::parse::shell;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(commands) = shell::commands(text) {
        assert!(commands.len() <= shell::MAX_COMMANDS);
        for c in &commands {
            let _ = c.program();
        }
    }
    if let Ok(image) = ImageRef::parse(text.lines().next().unwrap_or_default())
        && image.is_digest_pinned()
    {
        let shown = image.to_string();
        let hex = shown.rsplit_once("@sha256:").map(|(_, h)| h).unwrap_or_default();
        assert!(hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }
});
