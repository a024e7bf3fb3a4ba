//! The secret scanner, on a `.env` file and on source text (first byte picks which).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = if pick % 2 == 0 {
        ".env"
    } else {
        "src/config.py"
    };
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = checks::secrets::scan_text(path, text);
        let _ = checks::secrets::redact(text);
    }
});
