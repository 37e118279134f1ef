//! Checking that an upload really opens. An upload's type is recognised from its first bytes
//! only, so a file named `.pdf` that starts like a PDF but was cut short (an interrupted
//! download, a full disk, a broken export) would be filed, and fail much later in front of the
//! person who opens it. [`check`] reads the file's structure instead, streaming it with bounded
//! memory, and the upload is refused at the door when it would not open:
//!
//! - PDF: the last `startxref` points, inside the file, to a cross-reference table whose
//!   trailer names the catalog, found at the offset the table gives (earlier sections are
//!   followed through `/Prev`), or to a cross-reference stream naming the catalog.
//! - PNG: every chunk is whole with a right CRC; the header is valid, a palette is there when
//!   the colour type needs one, and the image data inflates to exactly the size the header
//!   announces (and no further: a small file cannot unpack into gigabytes).
//! - JPEG: every marker segment is whole; quantisation tables, a valid frame header and at
//!   least one scan come before the end-of-image marker.
//! - ODT, ODS: a readable ZIP archive whose first entry is `mimetype`, stored, naming the type,
//!   with the content and the manifest.
//! - DOCX, XLSX: a readable ZIP archive with its content types (declaring the main part's
//!   type), its relationships and its main part.
//!
//! These are structural checks, not decoders: they catch truncated and corrupted files, not
//! every malformed one.

use flate2::read::ZlibDecoder;
use simpa_domain::Violation;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

/// Checks that `file` (of `size` bytes, recognised as `media_type`) opens as that type. Types
/// with no check pass. Reading errors count as damage: the file is a local copy.
pub fn check(file: &mut (impl Read + Seek), size: u64, media_type: &str) -> Result<(), Violation> {
    let (kind, checked) = match media_type {
        "application/pdf" => ("PDF", pdf(file, size)),
        "image/png" => ("PNG", png(file, size)),
        "image/jpeg" => ("JPEG", jpeg(file, size)),
        "application/vnd.oasis.opendocument.text" => ("ODT", open_document(file, media_type)),
        "application/vnd.oasis.opendocument.spreadsheet" => {
            ("ODS", open_document(file, media_type))
        }
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            ("DOCX", office_open_xml(file, &WORDPROCESSING))
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
            ("XLSX", office_open_xml(file, &SPREADSHEET))
        }
        _ => return Ok(()),
    };
    checked.map_err(|Damaged| damaged(kind))
}

fn damaged(kind: &str) -> Violation {
    Violation::new(
        "file.damaged",
        format!(
            "Ce fichier {kind} est endommagé ou incomplet : il ne s'ouvre pas. Enregistrez-le de nouveau (ou exportez-le en PDF), puis déposez-le."
        ),
    )
}

/// The file does not open; which rule it breaks does not help the person who sent it.
#[derive(Debug)]
struct Damaged;

impl From<io::Error> for Damaged {
    fn from(_: io::Error) -> Self {
        Damaged
    }
}

impl From<ZipError> for Damaged {
    fn from(_: ZipError) -> Self {
        Damaged
    }
}

type Checked<T = ()> = Result<T, Damaged>;

/// A buffered reader that counts the bytes it consumes, with the little parsing the checks
/// need. Reading past the end is damage.
struct Input<R> {
    reader: BufReader<R>,
    consumed: u64,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            reader: BufReader::new(inner),
            consumed: 0,
        }
    }

    fn advance(&mut self, count: usize) {
        self.reader.consume(count);
        self.consumed = self.consumed.saturating_add(count as u64);
    }

    fn peek(&mut self) -> Checked<Option<u8>> {
        Ok(self.reader.fill_buf()?.first().copied())
    }

    fn byte(&mut self) -> Checked<u8> {
        let byte = self.peek()?.ok_or(Damaged)?;
        self.advance(1);
        Ok(byte)
    }

    fn array<const N: usize>(&mut self) -> Checked<[u8; N]> {
        let mut bytes = [0; N];
        self.reader.read_exact(&mut bytes)?;
        self.consumed = self.consumed.saturating_add(N as u64);
        Ok(bytes)
    }

    /// Copies the next `length` bytes to `sink`.
    fn copy(&mut self, length: u64, sink: &mut impl Write) -> Checked {
        let copied = io::copy(&mut self.reader.by_ref().take(length), sink)?;
        self.consumed = self.consumed.saturating_add(copied);
        if copied == length {
            Ok(())
        } else {
            Err(Damaged)
        }
    }

    fn skip(&mut self, length: u64) -> Checked {
        self.copy(length, &mut io::sink())
    }

    /// The next `limit` bytes, or fewer at the end of the input.
    fn window(&mut self, limit: u64) -> Checked<Vec<u8>> {
        let mut window = Vec::new();
        let read = self.reader.by_ref().take(limit).read_to_end(&mut window)?;
        self.consumed = self.consumed.saturating_add(read as u64);
        Ok(window)
    }

    /// Skips to the next `wanted` byte, leaving it unread.
    fn skip_to(&mut self, wanted: u8) -> Checked {
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Err(Damaged);
            }
            let found = available.iter().position(|&byte| byte == wanted);
            let count = found.unwrap_or(available.len());
            self.advance(count);
            if found.is_some() {
                return Ok(());
            }
        }
    }
}

/// PDF tokens.
impl<R: Read> Input<R> {
    fn skip_whitespace(&mut self) -> Checked {
        while self.peek()?.is_some_and(is_whitespace) {
            self.advance(1);
        }
        Ok(())
    }

    fn expect(&mut self, word: &[u8]) -> Checked {
        for &wanted in word {
            if self.byte()? != wanted {
                return Err(Damaged);
            }
        }
        Ok(())
    }

    /// A non-negative integer: one digit or more.
    fn number(&mut self) -> Checked<u64> {
        let mut value = None;
        while let Some(digit) = self.peek()?.and_then(digit_value) {
            let shifted = value.unwrap_or(0u64).checked_mul(10);
            value = Some(shifted.and_then(|v| v.checked_add(digit)).ok_or(Damaged)?);
            self.advance(1);
        }
        value.ok_or(Damaged)
    }

    /// An integer of exactly `count` digits.
    fn digits(&mut self, count: usize) -> Checked<u64> {
        let mut value = 0u64;
        for _ in 0..count {
            let digit = digit_value(self.byte()?).ok_or(Damaged)?;
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(digit))
                .ok_or(Damaged)?;
        }
        Ok(value)
    }
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn digit_value(byte: u8) -> Option<u64> {
    char::from(byte).to_digit(10).map(u64::from)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(haystack.len());
    }
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

/// What follows the `skip` bytes found at `at`.
fn after(bytes: &[u8], at: usize, skip: usize) -> &[u8] {
    at.checked_add(skip)
        .and_then(|start| bytes.get(start..))
        .unwrap_or_default()
}

// PDF

/// The end of a PDF, where the last `startxref` is looked for.
const PDF_TAIL_BYTES: u64 = 2048;
/// How much of a trailer or cross-reference stream dictionary is read.
const PDF_DICTIONARY_BYTES: u64 = 4096;
/// How far from its offset the catalog must say it is one.
const PDF_CATALOG_BYTES: u64 = 1024;
/// How many sections (an incremental update each) are followed through `/Prev`.
const PDF_MAX_SECTIONS: usize = 64;
const PDF_MAX_SUBSECTIONS: usize = 65_536;

#[derive(Clone, Copy)]
struct Reference {
    number: u64,
    generation: u64,
}

enum Section {
    Table(Table),
    /// A cross-reference stream, whose dictionary was checked (its data is compressed).
    Stream,
}

struct Table {
    subsections: Vec<Subsection>,
    /// The start of the trailer's dictionary, up to `startxref`.
    trailer: Vec<u8>,
}

/// A run of consecutive objects in a cross-reference table.
struct Subsection {
    first: u64,
    count: u64,
    /// Where its first entry starts in the file.
    entries_at: u64,
    /// 20 bytes by the standard; 19 from writers that end lines with a single byte.
    entry_width: u64,
}

struct Entry {
    offset: u64,
    in_use: bool,
    width: u64,
}

fn pdf<R: Read + Seek>(file: &mut R, size: u64) -> Checked {
    let mut offset = last_startxref(file, size)?;
    let mut root = None;
    for _ in 0..PDF_MAX_SECTIONS {
        let Section::Table(table) = xref_section(file, size, offset)? else {
            return Ok(());
        };
        // The last trailer names the catalog; an earlier section may hold its offset.
        let catalog_reference = match root {
            Some(known) => known,
            None => reference(&table.trailer, b"/Root")?,
        };
        root = Some(catalog_reference);
        match lookup(file, &table, catalog_reference.number)? {
            Some(entry) if entry.in_use => {
                return catalog(file, size, entry.offset, catalog_reference);
            }
            // A hybrid file may list the catalog only in its cross-reference stream.
            _ if value(&table.trailer, b"/XRefStm").is_some() => return Ok(()),
            Some(_) => return Err(Damaged),
            None => offset = integer(&table.trailer, b"/Prev")?,
        }
    }
    Err(Damaged)
}

/// The offset given by the last `startxref … %%EOF`: where the last cross-reference section
/// starts.
fn last_startxref<R: Read + Seek>(file: &mut R, size: u64) -> Checked<u64> {
    file.seek(SeekFrom::Start(size.saturating_sub(PDF_TAIL_BYTES)))?;
    let tail = Input::new(&mut *file).window(PDF_TAIL_BYTES)?;
    let keyword = b"startxref";
    let at = rfind(&tail, keyword).ok_or(Damaged)?;
    let mut input = Input::new(after(&tail, at, keyword.len()));
    input.skip_whitespace()?;
    let offset = input.number()?;
    input.skip_whitespace()?;
    input.expect(b"%%EOF")?;
    if offset < size {
        Ok(offset)
    } else {
        Err(Damaged)
    }
}

fn xref_section<R: Read + Seek>(file: &mut R, size: u64, offset: u64) -> Checked<Section> {
    if offset >= size {
        return Err(Damaged);
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut input = Input::new(file);
    input.skip_whitespace()?;
    match input.peek()? {
        Some(b'x') => xref_table(&mut input, offset).map(Section::Table),
        Some(b'0'..=b'9') => xref_stream(&mut input).map(|()| Section::Stream),
        _ => Err(Damaged),
    }
}

/// A classic table: `xref`, subsections (`first count`, then an entry per object), then
/// `trailer` and its dictionary. Every entry is read (the file's size bounds them); only the
/// subsections' places are kept.
fn xref_table<R: Read>(input: &mut Input<R>, start: u64) -> Checked<Table> {
    input.expect(b"xref")?;
    let mut subsections = Vec::new();
    loop {
        input.skip_whitespace()?;
        if !input.peek()?.is_some_and(|byte| byte.is_ascii_digit()) {
            break;
        }
        if subsections.len() >= PDF_MAX_SUBSECTIONS {
            return Err(Damaged);
        }
        let first = input.number()?;
        input.skip_whitespace()?;
        let count = input.number()?;
        input.skip_whitespace()?;
        let entries_at = start.checked_add(input.consumed).ok_or(Damaged)?;
        let mut width = None;
        for _ in 0..count {
            let entry = xref_entry(input)?;
            if *width.get_or_insert(entry.width) != entry.width {
                return Err(Damaged);
            }
        }
        subsections.push(Subsection {
            first,
            count,
            entries_at,
            entry_width: width.unwrap_or(20),
        });
    }
    input.expect(b"trailer")?;
    input.skip_whitespace()?;
    input.expect(b"<<")?;
    let mut trailer = input.window(PDF_DICTIONARY_BYTES)?;
    if let Some(end) = find(&trailer, b"startxref") {
        trailer.truncate(end);
    }
    Ok(Table {
        subsections,
        trailer,
    })
}

/// `nnnnnnnnnn ggggg n` (or `f`) and its end of line.
fn xref_entry<R: Read>(input: &mut Input<R>) -> Checked<Entry> {
    let offset = input.digits(10)?;
    input.expect(b" ")?;
    input.digits(5)?;
    input.expect(b" ")?;
    let in_use = match input.byte()? {
        b'n' => true,
        b'f' => false,
        _ => return Err(Damaged),
    };
    let mut width = 18;
    while width < 20 && input.peek()?.is_some_and(is_whitespace) {
        input.advance(1);
        width += 1;
    }
    if width == 18 {
        return Err(Damaged);
    }
    Ok(Entry {
        offset,
        in_use,
        width,
    })
}

/// `12 0 obj` whose dictionary says `/Type /XRef` and names the catalog.
fn xref_stream<R: Read>(input: &mut Input<R>) -> Checked {
    object_header(input)?;
    let mut dictionary = input.window(PDF_DICTIONARY_BYTES)?;
    if let Some(end) = find(&dictionary, b"stream") {
        dictionary.truncate(end);
    }
    if declares_type(&dictionary, b"/XRef") && value(&dictionary, b"/Root").is_some() {
        Ok(())
    } else {
        Err(Damaged)
    }
}

/// The entry of object `number` in a table, if the table lists it.
fn lookup<R: Read + Seek>(file: &mut R, table: &Table, number: u64) -> Checked<Option<Entry>> {
    let found = table.subsections.iter().rev().find_map(|subsection| {
        let index = number
            .checked_sub(subsection.first)
            .filter(|&index| index < subsection.count)?;
        Some((subsection, index))
    });
    let Some((subsection, index)) = found else {
        return Ok(None);
    };
    let at = index
        .checked_mul(subsection.entry_width)
        .and_then(|distance| distance.checked_add(subsection.entries_at))
        .ok_or(Damaged)?;
    file.seek(SeekFrom::Start(at))?;
    xref_entry(&mut Input::new(file)).map(Some)
}

/// At `offset` starts object `root`, a dictionary of `/Type /Catalog`.
fn catalog<R: Read + Seek>(file: &mut R, size: u64, offset: u64, root: Reference) -> Checked {
    if offset >= size {
        return Err(Damaged);
    }
    file.seek(SeekFrom::Start(offset))?;
    let window = Input::new(file).window(PDF_CATALOG_BYTES)?;
    let header = object_header(&mut Input::new(window.as_slice()))?;
    if header.number != root.number || header.generation != root.generation {
        return Err(Damaged);
    }
    let object = find(&window, b"endobj")
        .and_then(|end| window.get(..end))
        .unwrap_or(window.as_slice());
    if declares_type(object, b"/Catalog") {
        Ok(())
    } else {
        Err(Damaged)
    }
}

/// `12 0 obj`, after any whitespace.
fn object_header<R: Read>(input: &mut Input<R>) -> Checked<Reference> {
    input.skip_whitespace()?;
    let number = input.number()?;
    input.skip_whitespace()?;
    let generation = input.number()?;
    input.skip_whitespace()?;
    input.expect(b"obj")?;
    Ok(Reference { number, generation })
}

/// What follows `key` in a dictionary.
fn value<'a>(dictionary: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = find(dictionary, key)?;
    Some(after(dictionary, at, key.len()))
}

/// The indirect reference (`12 0 R`) that `key` has for value.
fn reference(dictionary: &[u8], key: &[u8]) -> Checked<Reference> {
    let mut input = Input::new(value(dictionary, key).ok_or(Damaged)?);
    input.skip_whitespace()?;
    let number = input.number()?;
    input.skip_whitespace()?;
    let generation = input.number()?;
    input.skip_whitespace()?;
    input.expect(b"R")?;
    Ok(Reference { number, generation })
}

/// The integer that `key` has for value.
fn integer(dictionary: &[u8], key: &[u8]) -> Checked<u64> {
    let mut input = Input::new(value(dictionary, key).ok_or(Damaged)?);
    input.skip_whitespace()?;
    input.number()
}

/// Whether the dictionary has `/Type` with the value `name` (`/Type /XRef`, `/Type/XRef`).
fn declares_type(dictionary: &[u8], name: &[u8]) -> bool {
    let key = b"/Type";
    let mut rest = dictionary;
    while let Some(at) = find(rest, key) {
        rest = after(rest, at, key.len());
        if rest.trim_ascii_start().starts_with(name) {
            return true;
        }
    }
    false
}

// PNG

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
const PNG_MAX_CHUNK_LENGTH: u32 = 0x7fff_ffff;
const PNG_MAX_PIXELS: u64 = 100_000_000;
/// The Adam7 passes: first column, first row, column step, row step.
const ADAM7: [(u64, u64, u64, u64); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// The image header (IHDR).
#[derive(Clone, Copy)]
struct Header {
    width: u64,
    height: u64,
    bit_depth: u8,
    colour_type: u8,
    interlaced: bool,
}

impl Header {
    fn parse(data: [u8; 13]) -> Checked<Header> {
        let [w0, w1, w2, w3, h0, h1, h2, h3, fields @ ..] = data;
        let [bit_depth, colour_type, compression, filter, interlace] = fields;
        let width = u64::from(u32::from_be_bytes([w0, w1, w2, w3]));
        let height = u64::from(u32::from_be_bytes([h0, h1, h2, h3]));
        let valid_depth = match colour_type {
            0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
            3 => matches!(bit_depth, 1 | 2 | 4 | 8),
            2 | 4 | 6 => matches!(bit_depth, 8 | 16),
            _ => false,
        };
        let valid = width >= 1
            && height >= 1
            && width
                .checked_mul(height)
                .is_some_and(|pixels| pixels <= PNG_MAX_PIXELS)
            && valid_depth
            && compression == 0
            && filter == 0
            && interlace <= 1;
        if !valid {
            return Err(Damaged);
        }
        Ok(Header {
            width,
            height,
            bit_depth,
            colour_type,
            interlaced: interlace == 1,
        })
    }

    fn channels(&self) -> u64 {
        match self.colour_type {
            2 => 3,
            4 => 2,
            6 => 4,
            _ => 1,
        }
    }

    /// The size of the image data once inflated: each row of each pass starts with its
    /// filter byte.
    fn raw_size(&self) -> Option<u64> {
        if !self.interlaced {
            return self.pass_size(self.width, self.height);
        }
        ADAM7
            .iter()
            .try_fold(0u64, |total, &(column, row, column_step, row_step)| {
                let width = self.width.saturating_sub(column).div_ceil(column_step);
                let height = self.height.saturating_sub(row).div_ceil(row_step);
                if width == 0 || height == 0 {
                    Some(total)
                } else {
                    total.checked_add(self.pass_size(width, height)?)
                }
            })
    }

    fn pass_size(&self, width: u64, height: u64) -> Option<u64> {
        let bits = width
            .checked_mul(self.channels())?
            .checked_mul(u64::from(self.bit_depth))?;
        bits.div_ceil(8).checked_add(1)?.checked_mul(height)
    }
}

fn png<R: Read + Seek>(file: &mut R, size: u64) -> Checked {
    file.seek(SeekFrom::Start(0))?;
    let header = png_chunks(&mut Input::new(&mut *file), size)?;
    let expected = header.raw_size().ok_or(Damaged)?;
    file.seek(SeekFrom::Start(PNG_SIGNATURE.len() as u64))?;
    let image_data = ImageData {
        reader: BufReader::new(&mut *file),
        left: 0,
        ended: false,
    };
    // One byte more than expected is enough to know there is too much.
    let mut inflated = ZlibDecoder::new(image_data).take(expected.saturating_add(1));
    let length = io::copy(&mut inflated, &mut io::sink())?;
    if length == expected {
        Ok(())
    } else {
        Err(Damaged)
    }
}

/// Where the walk over a PNG's chunks stands: before, within or after its image data (IDAT).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Before,
    Within,
    After,
}

/// Walks the chunks from the signature to IEND, checking each one's length and CRC and their
/// order; returns the header.
fn png_chunks<R: Read>(input: &mut Input<R>, size: u64) -> Checked<Header> {
    if input.array::<8>()? != PNG_SIGNATURE {
        return Err(Damaged);
    }
    let mut header: Option<Header> = None;
    let mut palette = false;
    let mut stage = Stage::Before;
    loop {
        let [l0, l1, l2, l3, kind @ ..] = input.array::<8>()?;
        let length = u32::from_be_bytes([l0, l1, l2, l3]);
        let end = input
            .consumed
            .checked_add(u64::from(length) + 4)
            .ok_or(Damaged)?;
        if length > PNG_MAX_CHUNK_LENGTH || end > size || !kind.iter().all(u8::is_ascii_alphabetic)
        {
            return Err(Damaged);
        }
        let mut crc = Crc(crc32fast::Hasher::new());
        crc.0.update(&kind);
        let header_data = if kind == *b"IHDR" {
            if header.is_some() || length != 13 {
                return Err(Damaged);
            }
            let data = input.array::<13>()?;
            crc.0.update(&data);
            Some(data)
        } else {
            // IHDR comes first.
            if header.is_none() {
                return Err(Damaged);
            }
            input.copy(u64::from(length), &mut crc)?;
            None
        };
        if u32::from_be_bytes(input.array()?) != crc.0.finalize() {
            return Err(Damaged);
        }
        if let Some(data) = header_data {
            header = Some(Header::parse(data)?);
            continue;
        }
        match &kind {
            b"PLTE" => {
                if stage != Stage::Before
                    || !length.is_multiple_of(3)
                    || !(3..=768).contains(&length)
                {
                    return Err(Damaged);
                }
                palette = true;
            }
            // The IDAT chunks follow one another.
            b"IDAT" => {
                if stage == Stage::After {
                    return Err(Damaged);
                }
                stage = Stage::Within;
            }
            // What follows IEND is ignored, as viewers do.
            b"IEND" => {
                let header = header.ok_or(Damaged)?;
                let palette_missing = header.colour_type == 3 && !palette;
                if stage == Stage::Before || length != 0 || palette_missing {
                    return Err(Damaged);
                }
                return Ok(header);
            }
            _ => {
                // An unknown critical chunk (capital first letter): viewers refuse the image.
                let [first, ..] = kind;
                if first.is_ascii_uppercase() {
                    return Err(Damaged);
                }
                if stage == Stage::Within {
                    stage = Stage::After;
                }
            }
        }
    }
}

/// Feeds the bytes written to it to a CRC-32.
struct Crc(crc32fast::Hasher);

impl Write for Crc {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The image data of a PNG whose chunks were checked: the data of its IDAT chunks, end to
/// end, read from just after the signature.
struct ImageData<R> {
    reader: BufReader<R>,
    /// What is left of the current IDAT chunk's data.
    left: u64,
    ended: bool,
}

impl<R: Read> ImageData<R> {
    /// Moves to the next IDAT chunk's data, or to IEND, skipping the other chunks.
    fn next_chunk(&mut self) -> io::Result<()> {
        let mut head = [0; 8];
        self.reader.read_exact(&mut head)?;
        let [l0, l1, l2, l3, kind @ ..] = head;
        let length = u64::from(u32::from_be_bytes([l0, l1, l2, l3]));
        match &kind {
            b"IEND" => self.ended = true,
            b"IDAT" if length > 0 => self.left = length,
            // The data (if any) and the CRC.
            _ => skip_bytes(&mut self.reader, length + 4)?,
        }
        Ok(())
    }
}

impl<R: Read> Read for ImageData<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.left == 0 && !self.ended {
            self.next_chunk()?;
        }
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        let read = self.reader.by_ref().take(self.left).read(buf)?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.left = self.left.saturating_sub(read as u64);
        if self.left == 0 {
            // The chunk's CRC, checked already.
            skip_bytes(&mut self.reader, 4)?;
        }
        Ok(read)
    }
}

fn skip_bytes(reader: &mut impl Read, length: u64) -> io::Result<()> {
    let skipped = io::copy(&mut reader.take(length), &mut io::sink())?;
    if skipped == length {
        Ok(())
    } else {
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}

// JPEG

const JPEG_START_OF_IMAGE: [u8; 2] = [0xff, 0xd8];
const JPEG_END_OF_IMAGE: u8 = 0xd9;
const JPEG_QUANTISATION_TABLES: u8 = 0xdb;
const JPEG_START_OF_SCAN: u8 = 0xda;
/// The smallest quantisation table: its precision and destination, then 64 values.
const JPEG_MIN_TABLES_BYTES: u64 = 65;

fn jpeg<R: Read + Seek>(file: &mut R, size: u64) -> Checked {
    file.seek(SeekFrom::Start(0))?;
    let mut input = Input::new(file);
    if input.array::<2>()? != JPEG_START_OF_IMAGE {
        return Err(Damaged);
    }
    let (mut tables, mut frame, mut scanned) = (false, false, false);
    // The marker that ended a scan's data, read already.
    let mut pending = None;
    loop {
        let marker = match pending.take() {
            Some(marker) => marker,
            None => jpeg_marker(&mut input)?,
        };
        match marker {
            JPEG_END_OF_IMAGE => {
                // What follows is ignored, as viewers do.
                return if tables && frame && scanned {
                    Ok(())
                } else {
                    Err(Damaged)
                };
            }
            // Markers without a segment.
            0x01 | 0xd0..=0xd7 => continue,
            0x00 | 0xd8 => return Err(Damaged),
            _ => {}
        }
        let length = u16::from_be_bytes(input.array()?);
        let body = u64::from(length).checked_sub(2).ok_or(Damaged)?;
        if input
            .consumed
            .checked_add(body)
            .is_none_or(|end| end > size)
        {
            return Err(Damaged);
        }
        match marker {
            JPEG_QUANTISATION_TABLES => {
                if body < JPEG_MIN_TABLES_BYTES {
                    return Err(Damaged);
                }
                tables = true;
                input.skip(body)?;
            }
            // Start of frame; C4 (Huffman tables), C8 (reserved), CC (arithmetic coding
            // conditioning) share the range.
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                if frame {
                    return Err(Damaged);
                }
                jpeg_frame(&mut input, body)?;
                frame = true;
            }
            JPEG_START_OF_SCAN => {
                if !frame {
                    return Err(Damaged);
                }
                jpeg_scan_header(&mut input, body)?;
                scanned = true;
                pending = Some(entropy_coded_data(&mut input)?);
            }
            _ => input.skip(body)?,
        }
    }
}

/// `FF` and a marker code, after any fill bytes (`FF`).
fn jpeg_marker<R: Read>(input: &mut Input<R>) -> Checked<u8> {
    if input.byte()? != 0xff {
        return Err(Damaged);
    }
    loop {
        match input.byte()? {
            0xff => {}
            code => return Ok(code),
        }
    }
}

/// The frame header: precision, height, width, then three bytes per component.
fn jpeg_frame<R: Read>(input: &mut Input<R>, body: u64) -> Checked {
    if body < 6 {
        return Err(Damaged);
    }
    let [precision, h0, h1, w0, w1, components] = input.array::<6>()?;
    let height = u16::from_be_bytes([h0, h1]);
    let width = u16::from_be_bytes([w0, w1]);
    let valid = matches!(precision, 8 | 12)
        && height >= 1
        && width >= 1
        && (1..=4).contains(&components)
        && body == 6 + 3 * u64::from(components);
    if !valid {
        return Err(Damaged);
    }
    input.skip(body - 6)
}

/// The scan header: the component count, two bytes per component, then three bytes.
fn jpeg_scan_header<R: Read>(input: &mut Input<R>, body: u64) -> Checked {
    let components = input.byte()?;
    if !(1..=4).contains(&components) || body != 4 + 2 * u64::from(components) {
        return Err(Damaged);
    }
    input.skip(body - 1)
}

/// Skips a scan's entropy-coded data (where `FF 00` is a data byte and `FF D0`–`FF D7` are
/// restarts); returns the marker that ends it.
fn entropy_coded_data<R: Read>(input: &mut Input<R>) -> Checked<u8> {
    loop {
        input.skip_to(0xff)?;
        match jpeg_marker(input)? {
            0x00 | 0xd0..=0xd7 => {}
            marker => return Ok(marker),
        }
    }
}

// ZIP packages

const ZIP_MAX_ENTRIES: usize = 10_000;
/// How much of a part is read: enough to show that it inflates.
const ZIP_PART_BYTES: u64 = 1024 * 1024;
const MIMETYPE_BYTES: u64 = 100;

/// An Office Open XML package: its main part, and that part's content type.
struct Package {
    main_part: &'static str,
    main_content_type: &'static str,
}

const WORDPROCESSING: Package = Package {
    main_part: "word/document.xml",
    main_content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
};

const SPREADSHEET: Package = Package {
    main_part: "xl/workbook.xml",
    main_content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
};

fn zip_archive<R: Read + Seek>(file: R) -> Checked<ZipArchive<R>> {
    let archive = ZipArchive::new(file)?;
    if archive.len() <= ZIP_MAX_ENTRIES {
        Ok(archive)
    } else {
        Err(Damaged)
    }
}

/// ODT, ODS: the first entry is `mimetype`, stored, holding exactly the media type.
fn open_document<R: Read + Seek>(file: R, media_type: &str) -> Checked {
    let mut archive = zip_archive(file)?;
    let declared = {
        let mut mimetype = archive.by_index(0)?;
        if mimetype.name()? != "mimetype" || mimetype.compression() != CompressionMethod::Stored {
            return Err(Damaged);
        }
        let mut declared = Vec::new();
        mimetype
            .by_ref()
            .take(MIMETYPE_BYTES)
            .read_to_end(&mut declared)?;
        declared
    };
    if declared != media_type.as_bytes() {
        return Err(Damaged);
    }
    readable(&mut archive, "content.xml")?;
    readable(&mut archive, "META-INF/manifest.xml")
}

/// DOCX, XLSX: the content types declare the main part's type.
fn office_open_xml<R: Read + Seek>(file: R, package: &Package) -> Checked {
    let mut archive = zip_archive(file)?;
    let content_types = {
        let mut part = archive.by_name("[Content_Types].xml")?;
        let mut content = Vec::new();
        part.by_ref()
            .take(ZIP_PART_BYTES)
            .read_to_end(&mut content)?;
        content
    };
    if find(&content_types, package.main_content_type.as_bytes()).is_none() {
        return Err(Damaged);
    }
    readable(&mut archive, "_rels/.rels")?;
    readable(&mut archive, package.main_part)
}

/// The archive holds `name`, and its start inflates.
fn readable<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str) -> Checked {
    let mut part = archive.by_name(name)?;
    io::copy(&mut part.by_ref().take(ZIP_PART_BYTES), &mut io::sink())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Cursor;
    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    const PDF: &str = "application/pdf";
    const PNG: &str = "image/png";
    const JPEG: &str = "image/jpeg";
    const ODT: &str = "application/vnd.oasis.opendocument.text";
    const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";
    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    fn verdict(bytes: &[u8], media_type: &str) -> Result<(), Violation> {
        check(&mut Cursor::new(bytes), bytes.len() as u64, media_type)
    }

    fn accepted(bytes: &[u8], media_type: &str) -> bool {
        verdict(bytes, media_type).is_ok()
    }

    /// A one-page PDF with a correct cross-reference table, built as `simpa_fixtures` builds
    /// its own (which cannot be used here: it depends on this crate), with `eol` ending lines
    /// and `text` shown.
    fn pdf_with(eol: &str, text: &str) -> Vec<u8> {
        let content = format!("BT /F1 12 Tf 72 760 Td ({text}) Tj ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_owned(),
            format!(
                "<< /Length {} >>{eol}stream{eol}{content}{eol}endstream",
                content.len()
            ),
        ];
        let mut pdf = format!("%PDF-1.4{eol}").into_bytes();
        let mut offsets = Vec::new();
        for (index, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(
                format!("{} 0 obj{eol}{body}{eol}endobj{eol}", index + 1).as_bytes(),
            );
        }
        let xref = pdf.len();
        let entry_end = if eol == "\r\n" { "\r\n" } else { " \n" };
        pdf.extend_from_slice(
            format!(
                "xref{eol}0 {}{eol}0000000000 65535 f{entry_end}",
                objects.len() + 1
            )
            .as_bytes(),
        );
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n{entry_end}").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer{eol}<< /Size {} /Root 1 0 R >>{eol}startxref{eol}{xref}{eol}%%EOF{eol}",
                objects.len() + 1
            )
            .as_bytes(),
        );
        pdf
    }

    fn valid_pdf() -> Vec<u8> {
        pdf_with("\n", "Piece de test")
    }

    fn replace(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
        let at = find(bytes, from.as_bytes()).expect("the text to replace");
        let mut replaced = bytes[..at].to_vec();
        replaced.extend_from_slice(to.as_bytes());
        replaced.extend_from_slice(&bytes[at + from.len()..]);
        replaced
    }

    #[test]
    fn a_valid_pdf_is_accepted() {
        assert_eq!(verdict(&valid_pdf(), PDF), Ok(()));
        assert!(accepted(&pdf_with("\r\n", "Piece de test"), PDF));
        // Longer than the tail read to find `startxref`.
        assert!(accepted(&pdf_with("\n", &"x".repeat(5000)), PDF));
        let mut trailing = valid_pdf();
        trailing.extend_from_slice(b"\r\n  \n");
        assert!(accepted(&trailing, PDF));
    }

    #[test]
    fn a_pdf_that_does_not_open_is_refused_with_a_message() {
        let violation = verdict(b"%PDF-1.4\ntrailer\n%%EOF", PDF).unwrap_err();
        assert_eq!(violation.code, "file.damaged");
        assert!(violation.message.contains("Ce fichier PDF est endommagé"));
    }

    #[test]
    fn a_truncated_pdf_is_refused() {
        let pdf = valid_pdf();
        assert!(!accepted(&pdf[..pdf.len() / 2], PDF));
        assert!(!accepted(&pdf[..pdf.len() - 8], PDF));
    }

    #[test]
    fn a_pdf_whose_cross_reference_is_wrong_is_refused() {
        let pdf = valid_pdf();
        let text = String::from_utf8(pdf.clone()).unwrap();
        let xref = text.rfind("startxref\n").unwrap() + "startxref\n".len();
        let offset = &text[xref..text.rfind("\n%%EOF").unwrap()];
        let huge = replace(&pdf, &format!("startxref\n{offset}"), "startxref\n99999999");
        assert!(!accepted(&huge, PDF));
        let start = replace(&pdf, &format!("startxref\n{offset}"), "startxref\n0");
        assert!(!accepted(&start, PDF));
        // The root names the page tree, not the catalog.
        assert!(!accepted(&replace(&pdf, "/Root 1 0 R", "/Root 2 0 R"), PDF));
        // The catalog's entry is one byte off.
        let entry = format!("{:010} 00000 n", 9);
        assert!(!accepted(
            &replace(&pdf, &entry, &format!("{:010} 00000 n", 10)),
            PDF
        ));
    }

    #[test]
    fn an_incremental_update_is_followed_to_the_catalog() {
        let mut pdf = valid_pdf();
        let text = String::from_utf8(pdf.clone()).unwrap();
        let previous = text.rfind("\nxref\n").unwrap() + 1;
        let page = pdf.len();
        pdf.extend_from_slice(
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj\n",
        );
        let xref = pdf.len();
        let update = format!(
            "xref\n3 1\n{page:010} 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R /Prev {previous} >>\nstartxref\n{xref}\n%%EOF\n"
        );
        pdf.extend_from_slice(update.as_bytes());
        assert!(accepted(&pdf, PDF));
        let without_previous = replace(&pdf, &format!(" /Prev {previous}"), "");
        assert!(!accepted(&without_previous, PDF));
    }

    fn pdf_with_xref_stream(dictionary: &str) -> Vec<u8> {
        let mut pdf = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n".to_vec();
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!(
                "3 0 obj\n{dictionary}\nstream\n\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        pdf
    }

    #[test]
    fn a_cross_reference_stream_is_accepted() {
        let dictionary = "<< /Type /XRef /Size 4 /Root 1 0 R /W [1 2 1] /Length 0 >>";
        assert!(accepted(&pdf_with_xref_stream(dictionary), PDF));
        let compact = "<</Type/XRef/Size 4/Root 1 0 R/W[1 2 1]/Length 0>>";
        assert!(accepted(&pdf_with_xref_stream(compact), PDF));
        let other = "<< /Type /ObjStm /Size 4 /Root 1 0 R /Length 0 >>";
        assert!(!accepted(&pdf_with_xref_stream(other), PDF));
        let rootless = "<< /Type /XRef /Size 4 /W [1 2 1] /Length 0 >>";
        assert!(!accepted(&pdf_with_xref_stream(rootless), PDF));
    }

    fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32fast::hash(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }

    /// An 8-bit RGB PNG of these dimensions whose image data inflates to `raw`, split across
    /// two IDAT chunks.
    fn png_image(width: u32, height: u32, interlace: u8, raw: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(raw).unwrap();
        let compressed = encoder.finish().unwrap();
        let (first, second) = compressed.split_at(compressed.len() / 2);
        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, interlace]);
        let mut png = PNG_SIGNATURE.to_vec();
        png_chunk(&mut png, b"IHDR", &header);
        png_chunk(&mut png, b"tEXt", b"Comment\0test");
        png_chunk(&mut png, b"IDAT", first);
        png_chunk(&mut png, b"IDAT", second);
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    /// Two rows of two RGB pixels, each row after its filter byte.
    const RAW_2X2: [u8; 14] = [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255];

    #[test]
    fn a_valid_png_is_accepted() {
        assert_eq!(verdict(&png_image(2, 2, 0, &RAW_2X2), PNG), Ok(()));
        // Adam7 on 2×2: passes 1 and 6 hold one pixel, pass 7 a row of two.
        let interlaced = [0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12];
        assert!(accepted(&png_image(2, 2, 1, &interlaced), PNG));
    }

    #[test]
    fn a_truncated_or_corrupted_png_is_refused() {
        let png = png_image(2, 2, 0, &RAW_2X2);
        assert!(!accepted(&png[..png.len() - 10], PNG));
        assert!(!accepted(&png[..png.len() / 2], PNG));
        let mut corrupted = png.clone();
        let data = find(&corrupted, b"IDAT").unwrap() + 4;
        corrupted[data] ^= 0xff;
        assert!(!accepted(&corrupted, PNG));
    }

    #[test]
    fn a_png_whose_data_does_not_fit_its_header_is_refused() {
        assert!(!accepted(&png_image(3, 2, 0, &RAW_2X2), PNG));
        assert!(!accepted(&png_image(2, 2, 1, &RAW_2X2), PNG));
        assert!(!accepted(&png_image(0, 2, 0, &RAW_2X2), PNG));
    }

    /// A structurally valid 1×1 greyscale JPEG: tables, frame, Huffman table, one scan.
    fn valid_jpeg() -> Vec<u8> {
        let mut jpeg = vec![0xff, 0xd8];
        jpeg.extend_from_slice(&[0xff, 0xdb, 0x00, 0x43, 0x00]);
        jpeg.extend_from_slice(&[1; 64]);
        jpeg.extend_from_slice(&[
            0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
        ]);
        jpeg.extend_from_slice(&[0xff, 0xc4, 0x00, 0x14, 0x00, 0x01]);
        jpeg.extend_from_slice(&[0; 16]);
        jpeg.extend_from_slice(&[0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
        jpeg.extend_from_slice(&[0x12, 0x00, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]);
        jpeg.extend_from_slice(&[0xff, 0xd9]);
        jpeg
    }

    #[test]
    fn a_structurally_valid_jpeg_is_accepted() {
        assert_eq!(verdict(&valid_jpeg(), JPEG), Ok(()));
        let mut trailing = valid_jpeg();
        trailing.extend_from_slice(b"trailing bytes");
        assert!(accepted(&trailing, JPEG));
    }

    #[test]
    fn a_damaged_jpeg_is_refused() {
        let mut header_only = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec();
        header_only.extend_from_slice(&[0; 32]);
        assert!(!accepted(&header_only, JPEG));
        let jpeg = valid_jpeg();
        assert!(!accepted(&jpeg[..jpeg.len() - 2], JPEG));
        assert!(!accepted(&jpeg[..jpeg.len() / 2], JPEG));
    }

    fn zip_bytes(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content, method) in entries {
            let options = SimpleFileOptions::default().compression_method(*method);
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    const WORD_CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

    fn docx() -> Vec<u8> {
        zip_bytes(&[
            (
                "[Content_Types].xml",
                WORD_CONTENT_TYPES,
                CompressionMethod::Deflated,
            ),
            (
                "_rels/.rels",
                b"<Relationships/>",
                CompressionMethod::Deflated,
            ),
            (
                "word/document.xml",
                b"<w:document/>",
                CompressionMethod::Deflated,
            ),
        ])
    }

    #[test]
    fn a_valid_docx_is_accepted_and_a_truncated_one_refused() {
        let docx = docx();
        assert_eq!(verdict(&docx, DOCX), Ok(()));
        assert!(!accepted(&docx[..docx.len() / 2], DOCX));
        assert!(!accepted(&docx[..docx.len() - 1], DOCX));
        // Not a workbook.
        assert!(!accepted(&docx, XLSX));
    }

    #[test]
    fn an_open_document_needs_its_mimetype_first_and_its_parts() {
        let stored = CompressionMethod::Stored;
        let deflated = CompressionMethod::Deflated;
        let mimetype = ODT.as_bytes();
        let complete = zip_bytes(&[
            ("mimetype", mimetype, stored),
            ("content.xml", b"<office:document-content/>", deflated),
            ("META-INF/manifest.xml", b"<manifest:manifest/>", deflated),
        ]);
        assert_eq!(verdict(&complete, ODT), Ok(()));
        assert!(!accepted(&complete, ODS));
        assert!(!accepted(&complete[..complete.len() / 2], ODT));
        let only_mimetype = zip_bytes(&[("mimetype", mimetype, stored)]);
        assert!(!accepted(&only_mimetype, ODT));
        let compressed_mimetype = zip_bytes(&[
            ("mimetype", mimetype, deflated),
            ("content.xml", b"<office:document-content/>", deflated),
            ("META-INF/manifest.xml", b"<manifest:manifest/>", deflated),
        ]);
        assert!(!accepted(&compressed_mimetype, ODT));
        let mimetype_second = zip_bytes(&[
            ("content.xml", b"<office:document-content/>", deflated),
            ("mimetype", mimetype, stored),
            ("META-INF/manifest.xml", b"<manifest:manifest/>", deflated),
        ]);
        assert!(!accepted(&mimetype_second, ODT));
    }

    #[test]
    fn other_types_are_not_checked() {
        assert_eq!(verdict(b"anything", "text/plain"), Ok(()));
    }
}
