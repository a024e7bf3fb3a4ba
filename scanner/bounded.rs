//! Reading input files within a size cap. Only regular files are read: a FIFO blocks the
//! reader forever and a symbolic link to `/dev/zero` never ends, so both are refused before
//! anything is opened. The cap is checked on the size the file system reports and again while
//! reading (a file that grows meanwhile is still cut off), so memory stays bounded by the cap.

use std::fmt;
use std::io::Read;
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// vouch.toml, attestations.toml, claims, a questionnaire map, a template.
pub const CONFIG_MAX: u64 = 4 * MIB;
/// A kubeconfig file (`[[target.kube]] kubeconfig`, each `KUBECONFIG` file, `~/.kube/config`):
/// a few KiB per context with embedded certificates, so thousands of contexts fit.
pub const KUBECONFIG_MAX: u64 = 16 * MIB;
/// A report/v1 or facts file given to `check`, `answer`, `trust`.
pub const REPORT_MAX: u64 = 256 * MIB;
/// MANIFEST.json of an evidence pack (it lists a handful of files).
pub const PACK_MANIFEST_MAX: u64 = 16 * MIB;
/// MANIFEST.sig of an evidence pack.
pub const PACK_SIGNATURE_MAX: u64 = 64 * 1024;
/// Any other file of an evidence pack (facts.json, report.json, report.html, ...).
pub const PACK_FILE_MAX: u64 = 256 * MIB;
/// One SQL migration file.
pub const MIGRATION_MAX: u64 = 32 * MIB;
/// A questionnaire workbook (.xlsx, compressed) or CSV.
pub const WORKBOOK_MAX: u64 = 32 * MIB;
/// The total uncompressed size of every part of an .xlsx workbook (umya-spreadsheet holds the
/// whole workbook in memory, several times its XML size).
pub const WORKBOOK_UNCOMPRESSED_MAX: u64 = 64 * MIB;
/// Parts (zip entries) of an .xlsx workbook.
pub const WORKBOOK_PARTS_MAX: usize = 10_000;
/// Rows of all the worksheets of a workbook together (CAIQ has about 300 questions, SIG a few
/// thousand).
pub const WORKBOOK_ROWS_MAX: u64 = 200_000;

/// Why a file was not read; displayed after the file's name ("x: is a FIFO ...").
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    /// Not a regular file; the text names what it is.
    NotRegular(&'static str),
    TooLarge {
        size: u64,
        cap: u64,
    },
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "does not exist"),
            ReadError::NotRegular(what) => write!(f, "is {what}, not a regular file"),
            ReadError::TooLarge { size, cap } => {
                write!(
                    f,
                    "is {size} bytes or more, over the limit of {}",
                    cap_text(*cap)
                )
            }
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// `16 MiB`, `64 KiB`.
pub fn cap_text(cap: u64) -> String {
    if cap >= MIB && cap.is_multiple_of(MIB) {
        format!("{} MiB", cap / MIB)
    } else if cap >= 1024 && cap.is_multiple_of(1024) {
        format!("{} KiB", cap / 1024)
    } else {
        format!("{cap} bytes")
    }
}

/// Reads `path` if it is a regular file of at most `cap` bytes; a symbolic link is refused,
/// whatever it points to.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    check_kind(&std::fs::symlink_metadata(path).map_err(from_io)?)?;
    read_within(path, cap)
}

/// As [`read_regular`], but a symbolic link is followed (a path the user named).
pub fn read_file(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    check_kind(&std::fs::metadata(path).map_err(from_io)?)?;
    read_within(path, cap)
}

/// A CA bundle named by `ca_file` (endpoints, PostgreSQL, artifact downloads), read within
/// [`CONFIG_MAX`]: a FIFO or a huge file named there is refused, not read forever.
pub fn read_ca_file(path: &str) -> Result<Vec<u8>, String> {
    read_trust_file("ca_file", path)
}

/// A trust file the configuration names (`what`: `ca_file`, `key`, `trust_root`), with the
/// same bounds as [`read_ca_file`].
pub fn read_trust_file(what: &str, path: &str) -> Result<Vec<u8>, String> {
    read_file(Path::new(path), CONFIG_MAX).map_err(|e| format!("cannot read {what} {path}: {e}"))
}

/// [`read_file`] as UTF-8 text.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let bytes = read_file(path, cap)?;
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        ))
    })
}

/// The size of a regular file, refusing what [`read_file`] refuses.
pub fn regular_size(path: &Path, cap: u64) -> Result<u64, ReadError> {
    let meta = std::fs::metadata(path).map_err(from_io)?;
    check_kind(&meta)?;
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    Ok(meta.len())
}

fn check_kind(meta: &std::fs::Metadata) -> Result<(), ReadError> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    };
    Err(ReadError::NotRegular(what))
}

fn read_within(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(from_io)?;
    let meta = file.metadata().map_err(from_io)?;
    check_kind(&meta)?;
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(from_io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// Refuses an .xlsx workbook that would inflate past [`WORKBOOK_UNCOMPRESSED_MAX`] or whose
/// worksheets hold more than [`WORKBOOK_ROWS_MAX`] rows, before the spreadsheet library reads
/// it (a 2 MB zip bomb took it to 4.2 GB). The sizes the zip directory declares are checked
/// first, then every part is inflated in a streaming pass that stops at the cap: declared sizes
/// can lie. The error is the reason, without the file name.
pub fn check_xlsx(bytes: &[u8]) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("is not an .xlsx (zip) file: {e}"))?;
    if archive.len() > WORKBOOK_PARTS_MAX {
        return Err(format!(
            "has {} parts, over the limit of {WORKBOOK_PARTS_MAX}",
            archive.len()
        ));
    }
    let over = |size: u64| {
        format!(
            "inflates to {size} bytes or more, over the limit of {}",
            cap_text(WORKBOOK_UNCOMPRESSED_MAX)
        )
    };
    let declared = (0..archive.len())
        .filter_map(|i| archive.by_index_raw(i).ok().map(|part| part.size()))
        .fold(0u64, u64::saturating_add);
    if declared > WORKBOOK_UNCOMPRESSED_MAX {
        return Err(over(declared));
    }
    let mut inflated = 0u64;
    let mut rows = 0u64;
    for i in 0..archive.len() {
        let mut part = archive
            .by_index(i)
            .map_err(|e| format!("has an unreadable part: {e}"))?;
        let is_sheet = part.name().starts_with("xl/worksheets/");
        let budget = WORKBOOK_UNCOMPRESSED_MAX - inflated;
        let (size, part_rows) = inflate_counting_rows(&mut part, budget, is_sheet)
            .map_err(|e| format!("has an unreadable part: {e}"))?;
        inflated += size;
        if inflated > WORKBOOK_UNCOMPRESSED_MAX {
            return Err(over(inflated));
        }
        rows += part_rows;
        if rows > WORKBOOK_ROWS_MAX {
            return Err(format!(
                "has more than {WORKBOOK_ROWS_MAX} rows, over the limit"
            ));
        }
    }
    Ok(())
}

/// Inflates at most `budget + 1` bytes of `part`, counting `<row` elements (with or without a
/// namespace prefix) when `count_rows`.
fn inflate_counting_rows(
    part: &mut impl Read,
    budget: u64,
    count_rows: bool,
) -> std::io::Result<(u64, u64)> {
    let mut limited = part.take(budget + 1);
    let mut buf = vec![0u8; 64 * 1024];
    // The last bytes of the previous chunk: an element name may straddle two chunks.
    let mut carry: Vec<u8> = Vec::new();
    let (mut size, mut rows) = (0u64, 0u64);
    loop {
        let n = limited.read(&mut buf)?;
        if n == 0 {
            return Ok((size, rows));
        }
        size += n as u64;
        if count_rows {
            carry.extend_from_slice(&buf[..n]);
            rows += count_row_tags(&carry);
            let keep = carry.len().min(4);
            carry.drain(..carry.len() - keep);
        }
    }
}

/// `<row ` / `<row>` / `:row ` occurrences that end inside `text` (a straddling tag is counted
/// once: only tags whose name is complete and not in the 4-byte carry are counted).
fn count_row_tags(text: &[u8]) -> u64 {
    let mut count = 0;
    for i in 0..text.len().saturating_sub(4) {
        let starts = text[i] == b'<' || text[i] == b':';
        if starts
            && &text[i + 1..i + 4] == b"row"
            && matches!(text[i + 4], b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r')
        {
            count += 1;
        }
    }
    count
}

fn from_io(e: std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::NotFound
    } else {
        ReadError::Io(e)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Makes a FIFO at `path`: a file a blocking read would wait on forever.
    pub(crate) fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn refuses_links_fifos_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read_regular(&file, 9),
            Err(ReadError::TooLarge { size: 10, cap: 9 })
        ));
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_regular(&link, 10).unwrap_err();
        assert_eq!(err.to_string(), "is a symbolic link, not a regular file");
        // Followed, the link leads to a device: refused before any byte is read.
        assert_eq!(
            read_file(&link, 10).unwrap_err().to_string(),
            "is a device, not a regular file"
        );
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        assert_eq!(
            read_file(&fifo, 10).unwrap_err().to_string(),
            "is a FIFO, not a regular file"
        );
        // A ca_file is read the same way (it was std::fs::read, which blocks on a FIFO).
        let named = fifo.to_str().unwrap();
        assert_eq!(
            read_ca_file(named).unwrap_err(),
            format!("cannot read ca_file {named}: is a FIFO, not a regular file")
        );
        assert!(matches!(
            read_file(&dir.path().join("none"), 10),
            Err(ReadError::NotFound)
        ));
        assert_eq!(cap_text(PACK_MANIFEST_MAX), "16 MiB");
    }

    fn xlsx(parts: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for (name, bytes) in parts {
            out.start_file(*name, options).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_bomb_workbook_is_refused_before_it_is_read() {
        let small = xlsx(&[(
            "xl/worksheets/sheet1.xml",
            b"<sheetData><row r=\"1\"/></sheetData>",
        )]);
        assert_eq!(check_xlsx(&small), Ok(()));
        let filler = vec![b' '; usize::try_from(WORKBOOK_UNCOMPRESSED_MAX).unwrap() + 1];
        let bomb = xlsx(&[("xl/worksheets/sheet1.xml", &filler)]);
        assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
        let err = check_xlsx(&bomb).unwrap_err();
        assert!(err.contains("over the limit of 64 MiB"), "{err}");
    }

    #[test]
    fn too_many_rows_are_refused_even_when_small() {
        let row = b"<row r=\"1\"><c/></row>";
        let sheet: Vec<u8> = row.repeat(usize::try_from(WORKBOOK_ROWS_MAX).unwrap() + 1);
        let err = check_xlsx(&xlsx(&[("xl/worksheets/sheet1.xml", &sheet)])).unwrap_err();
        assert!(err.contains("more than 200000 rows"), "{err}");
        let fewer = row.repeat(1000);
        assert_eq!(count_row_tags(&fewer), 1000);
        assert_eq!(
            check_xlsx(&xlsx(&[("xl/worksheets/sheet1.xml", &fewer)])),
            Ok(())
        );
    }

    #[test]
    fn rows_straddling_chunks_are_counted_once() {
        let mut part = Vec::new();
        for i in 0..100_000 {
            part.extend_from_slice(format!("<row r=\"{i}\">x</row>").as_bytes());
        }
        let (_, rows) = inflate_counting_rows(&mut part.as_slice(), u64::MAX - 1, true).unwrap();
        assert_eq!(rows, 100_000);
    }
}
