//! `checks::parse::sbom::parse` (CycloneDX and SPDX JSON) on arbitrary UTF-8 text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = if text.contains("spdxVersion") {
            "sbom.spdx.json"
        } else {
            "bom.json"
        };
        let _ = checks::parse::sbom::parse(path, text);
    }
});
