//! Shared by the fuzz targets whose first input byte picks a file name.

use checks::parse::nesting;

/// The name the first byte picks from `names` and the rest of the input as text, when it is
/// UTF-8 and passes the nesting pre-check the scan runs before that file's parser.
pub fn picked_text<'a>(names: &[&'a str], data: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let (&pick, bytes) = data.split_first()?;
    let name = names[usize::from(pick) % names.len()];
    let text = std::str::from_utf8(bytes).ok()?;
    if let Some(syntax) = nesting::syntax_of(name)
        && nesting::check(text, syntax).is_err()
    {
        return None;
    }
    Some((name, text))
}
