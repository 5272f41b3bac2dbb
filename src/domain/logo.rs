//! A partner's logo upload: a PNG, JPEG or WebP image recognised by content, size- and pixel-bounded.

use std::fmt;

/// The largest accepted logo file, in bytes (1 MiB).
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// The largest accepted width and height, in pixels, each side.
pub const MAX_LOGO_SIDE: u32 = 4096;
/// The largest accepted pixel count (width × height).
pub const MAX_LOGO_PIXELS: u64 = 16_000_000;

/// How many leading bytes are searched for an `<svg` tag.
const SVG_SNIFF_WINDOW: usize = 1024;

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8; 3] = b"\xFF\xD8\xFF";

/// The image formats a logo may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
    Webp,
}

impl LogoFormat {
    /// The MIME type to serve the logo with: `image/png`, `image/jpeg` or `image/webp`.
    pub fn content_type(&self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Jpeg => "image/jpeg",
            LogoFormat::Webp => "image/webp",
        }
    }

    /// The name shown to people: `PNG`, `JPEG` or `WebP`.
    pub fn label(&self) -> &'static str {
        match self {
            LogoFormat::Png => "PNG",
            LogoFormat::Jpeg => "JPEG",
            LogoFormat::Webp => "WebP",
        }
    }

    /// Recognises the format by its magic bytes only.
    fn sniff(bytes: &[u8]) -> Option<LogoFormat> {
        if bytes.starts_with(PNG_SIGNATURE) {
            Some(LogoFormat::Png)
        } else if bytes.starts_with(JPEG_MAGIC) {
            Some(LogoFormat::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
            Some(LogoFormat::Webp)
        } else {
            None
        }
    }

    fn imagesize_type(&self) -> imagesize::ImageType {
        match self {
            LogoFormat::Png => imagesize::ImageType::Png,
            LogoFormat::Jpeg => imagesize::ImageType::Jpeg,
            LogoFormat::Webp => imagesize::ImageType::Webp,
        }
    }
}

/// Why a logo upload was refused. The `Display` text is shown next to the Logo field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("The logo file is empty; choose a PNG, JPEG or WebP image.")]
    Empty,
    #[error("The logo must be at most 1 MB.")]
    TooLarge,
    #[error("SVG logos are not accepted; upload a PNG, JPEG or WebP image.")]
    Svg,
    #[error("The logo must be a PNG, JPEG or WebP image.")]
    UnsupportedFormat,
    #[error("The logo file looks damaged; please export it again.")]
    Corrupt,
    #[error("{}", dimensions_message(*.width, *.height))]
    DimensionsTooLarge { width: u32, height: u32 },
}

fn dimensions_message(width: u32, height: u32) -> String {
    if width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE {
        format!(
            "The logo is too large in pixels ({width}×{height}); \
             use at most {MAX_LOGO_SIDE} pixels on each side."
        )
    } else {
        format!(
            "The logo is too large in pixels ({width}×{height}); \
             use at most {} megapixels in total.",
            MAX_LOGO_PIXELS / 1_000_000
        )
    }
}

/// A validated logo image: its bytes, recognised format and pixel dimensions.
///
/// Only [`Logo::parse`] builds one, so a `Logo` is always a PNG, JPEG or WebP of at most
/// [`MAX_LOGO_BYTES`] whose header declares sane, bounded dimensions. The image itself is never
/// decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    bytes: Vec<u8>,
    format: LogoFormat,
    width: u32,
    height: u32,
}

impl Logo {
    /// Validates an uploaded file by its content alone (no file name or declared content type).
    pub fn parse(bytes: Vec<u8>) -> Result<Logo, LogoError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge);
        }
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        let Some(format) = LogoFormat::sniff(&bytes) else {
            return Err(if looks_like_svg(&bytes) { LogoError::Svg } else { LogoError::UnsupportedFormat });
        };

        match format {
            LogoFormat::Png => check_png_structure(&bytes)?,
            LogoFormat::Jpeg => {}
            LogoFormat::Webp => check_webp_structure(&bytes)?,
        }
        match imagesize::image_type(&bytes) {
            Ok(detected) if detected == format.imagesize_type() => {}
            _ => return Err(LogoError::Corrupt),
        }
        let size = imagesize::blob_size(&bytes).map_err(|_| LogoError::Corrupt)?;
        let width = u32::try_from(size.width).unwrap_or(u32::MAX);
        let height = u32::try_from(size.height).unwrap_or(u32::MAX);
        if width == 0 || height == 0 {
            return Err(LogoError::Corrupt);
        }
        if width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE || u64::from(width) * u64::from(height) > MAX_LOGO_PIXELS {
            return Err(LogoError::DimensionsTooLarge { width, height });
        }

        Ok(Logo { bytes, format, width, height })
    }

    /// The file's bytes, exactly as uploaded.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file's bytes, exactly as uploaded.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The format recognised from the file's content.
    pub fn format(&self) -> LogoFormat {
        self.format
    }

    /// The MIME type to serve the logo with.
    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
    }

    /// Width in pixels, as declared by the image header.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels, as declared by the image header.
    pub fn height(&self) -> u32 {
        self.height
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("format", &self.format)
            .field("size_bytes", &self.bytes.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// After an optional BOM and whitespace, starts with `<?xml` or `<svg`, or has `<svg` in the
/// first KiB (ASCII case-insensitive). UTF-16 text (with a BOM) is looked at with its NULs dropped.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let window = &bytes[..bytes.len().min(SVG_SNIFF_WINDOW)];
    let text: Vec<u8> =
        if let Some(rest) = window.strip_prefix(b"\xFF\xFE").or_else(|| window.strip_prefix(b"\xFE\xFF")) {
            rest.iter().copied().filter(|&b| b != 0).collect()
        } else {
            window.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(window).to_vec()
        };
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let trimmed = &text[start..];
    starts_with_ignore_case(trimmed, b"<?xml")
        || starts_with_ignore_case(trimmed, b"<svg")
        || trimmed.windows(4).any(|w| w.eq_ignore_ascii_case(b"<svg"))
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Walks the PNG chunk list: the first chunk is a well-formed IHDR with a correct CRC, every
/// chunk lies within the file, and an IDAT comes before IEND. Chunk data is not decoded; bytes
/// after IEND are tolerated.
fn check_png_structure(bytes: &[u8]) -> Result<(), LogoError> {
    let mut pos = PNG_SIGNATURE.len();
    let mut first = true;
    let mut seen_idat = false;
    loop {
        let length = be_u32(bytes, pos).ok_or(LogoError::Corrupt)?;
        if length > 0x7FFF_FFFF {
            return Err(LogoError::Corrupt);
        }
        let kind = bytes.get(pos + 4..pos + 8).ok_or(LogoError::Corrupt)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(LogoError::Corrupt);
        }
        let data_start = pos + 8;
        // `length` < 2^31 and `bytes` ≤ 1 MiB, so no overflow on any platform we build for.
        let data_end = data_start.checked_add(length as usize).ok_or(LogoError::Corrupt)?;
        let stored_crc = be_u32(bytes, data_end).ok_or(LogoError::Corrupt)?;

        if first {
            if kind != b"IHDR" || length != 13 {
                return Err(LogoError::Corrupt);
            }
            let typed_data = bytes.get(pos + 4..data_end).ok_or(LogoError::Corrupt)?;
            if crc32(typed_data) != stored_crc {
                return Err(LogoError::Corrupt);
            }
            let ihdr = bytes.get(data_start..data_end).ok_or(LogoError::Corrupt)?;
            if !valid_ihdr_fields(ihdr) {
                return Err(LogoError::Corrupt);
            }
            first = false;
        } else if kind == b"IHDR" {
            return Err(LogoError::Corrupt);
        } else if kind == b"IDAT" {
            seen_idat = true;
        } else if kind == b"IEND" {
            return if seen_idat { Ok(()) } else { Err(LogoError::Corrupt) };
        }
        pos = data_end + 4;
    }
}

/// Bit depth, colour type, compression, filter and interlace of an IHDR (bytes 8..13).
fn valid_ihdr_fields(ihdr: &[u8]) -> bool {
    let [_, _, _, _, _, _, _, _, depth, colour, compression, filter, interlace] = ihdr else {
        return false;
    };
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    depth_ok && *compression == 0 && *filter == 0 && *interlace <= 1
}

/// The RIFF container is not truncated and its first chunk is a VP8, VP8L or VP8X chunk that
/// fits inside it, with the right signature bytes.
fn check_webp_structure(bytes: &[u8]) -> Result<(), LogoError> {
    let riff_size = u64::from(le_u32(bytes, 4).ok_or(LogoError::Corrupt)?);
    // "WEBP" plus one chunk header, and the declared payload must be present.
    if riff_size < 12 || riff_size + 8 > bytes.len() as u64 {
        return Err(LogoError::Corrupt);
    }
    let kind = bytes.get(12..16).ok_or(LogoError::Corrupt)?;
    let chunk_size = u64::from(le_u32(bytes, 16).ok_or(LogoError::Corrupt)?);
    if 20 + chunk_size > riff_size + 8 {
        return Err(LogoError::Corrupt);
    }
    let ok = match kind {
        b"VP8 " => chunk_size >= 10 && bytes.get(23..26) == Some(b"\x9D\x01\x2A"),
        b"VP8L" => chunk_size >= 5 && bytes.get(20) == Some(&0x2F),
        b"VP8X" => chunk_size >= 10,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(LogoError::Corrupt)
    }
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

/// CRC-32 (ISO-HDLC, as used by PNG chunks and zip).
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(0xFFFF_FFFF_u32, |c, &b| CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8))
}

/// Above this much raw (filtered) image data, [`sample_png`] writes a placeholder IDAT.
const SAMPLE_PNG_MAX_RAW: u64 = 128 * 1024 * 1024;

/// A minimal valid PNG header+IDAT for tests and demo data: `width`×`height` pixels of one solid
/// colour (a 1-bit palette image).
///
/// The IHDR always declares exactly `width`×`height` (even 0 or absurd sizes, so tests can build
/// refused uploads). Whenever the raw image data is at most 128 MiB (any size up to about
/// 30000×30000), the file is a real, complete PNG that browsers display: the pixel data is a zlib
/// stream compressed by run-length (fixed-Huffman deflate), so even 30000×30000 stays under
/// [`MAX_LOGO_BYTES`] — a genuine decompression bomb. Beyond that the IDAT holds an empty zlib
/// stream: the header is right but the image does not decode. Never panics.
pub fn sample_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = PNG_SIGNATURE.to_vec();

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 1, colour type 3 (palette), compression 0, filter method 0, no interlace.
    ihdr.extend_from_slice(&[1, 3, 0, 0, 0]);
    push_png_chunk(&mut png, b"IHDR", &ihdr);
    // One palette entry: a calm blue.
    push_png_chunk(&mut png, b"PLTE", &[0x2B, 0x6C, 0xB0]);

    // Each row: filter byte 0, then ceil(width / 8) bytes of palette index 0 — all zero bytes.
    let row_bytes = 1 + u64::from(width).div_ceil(8);
    let raw_len = if width == 0 { 0 } else { u64::from(height).saturating_mul(row_bytes) };
    let raw_len = if raw_len <= SAMPLE_PNG_MAX_RAW { raw_len } else { 0 };
    push_png_chunk(&mut png, b"IDAT", &zlib_zeros(raw_len));
    push_png_chunk(&mut png, b"IEND", &[]);
    png
}

fn push_png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunk data here is at most a few MiB, far below u32::MAX.
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    let crc_start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[crc_start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of `len` zero bytes: one fixed-Huffman deflate block holding a literal 0 then
/// repeated length-258, distance-1 matches, then literal zeros for the remainder.
fn zlib_zeros(len: u64) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.bits(1, 1); // BFINAL
    bits.bits(0b01, 2); // BTYPE = fixed Huffman
    let mut remaining = len;
    if remaining > 0 {
        bits.huffman(0x30, 8); // literal 0
        remaining -= 1;
    }
    while remaining >= 258 {
        bits.huffman(0xC5, 8); // length code 285 = 258, no extra bits
        bits.huffman(0, 5); // distance code 0 = 1
        remaining -= 258;
    }
    for _ in 0..remaining {
        bits.huffman(0x30, 8);
    }
    bits.huffman(0, 7); // end of block (256)
    let deflate = bits.finish();

    let mut out = Vec::with_capacity(deflate.len() + 6);
    out.extend_from_slice(&[0x78, 0x01]); // zlib: deflate, 32K window, no dictionary
    out.extend_from_slice(&deflate);
    // Adler-32 of `len` zeros: s1 stays 1, s2 adds 1 per byte.
    let adler = (((len % 65_521) as u32) << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// Writes deflate's LSB-first bit stream.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    current: u8,
    used: u8,
}

impl BitWriter {
    /// Writes the low `count` bits of `value`, least significant first (headers, extra bits).
    fn bits(&mut self, value: u32, count: u8) {
        for i in 0..count {
            self.bit((value >> i) & 1 != 0);
        }
    }

    /// Writes a `count`-bit Huffman code, most significant bit first.
    fn huffman(&mut self, code: u32, count: u8) {
        for i in (0..count).rev() {
            self.bit((code >> i) & 1 != 0);
        }
    }

    fn bit(&mut self, set: bool) {
        if set {
            self.current |= 1 << self.used;
        }
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.current);
            self.current = 0;
            self.used = 0;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.current);
        }
        self.out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A real 1×1 RGB PNG (as written by an image editor), embedded verbatim.
    const REAL_PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xDE, 0x00, 0x00, 0x00,
        0x0C, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xD0, 0xCE, 0xD9, 0x00, 0x00, 0x02, 0x0D, 0x01, 0x48, 0x39,
        0x67, 0xEF, 0xD8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    /// A real, decodable 3×2 greyscale baseline JPEG (JFIF APP0, DQT, SOF0, DHT×2, SOS, EOI).
    const REAL_JPEG_3X2: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03, 0x03, 0x04,
        0x03, 0x03, 0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0A, 0x07, 0x07, 0x06, 0x08, 0x0C, 0x0A, 0x0C,
        0x0C, 0x0B, 0x0A, 0x0B, 0x0B, 0x0D, 0x0E, 0x12, 0x10, 0x0D, 0x0E, 0x11, 0x0E, 0x0B, 0x0B, 0x10, 0x16, 0x10,
        0x11, 0x13, 0x14, 0x15, 0x15, 0x15, 0x0C, 0x0F, 0x17, 0x18, 0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0xFF,
        0xC0, 0x00, 0x0B, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF,
        0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9,
    ];

    /// A real, decodable 3×2 lossless WebP (RIFF + VP8L chunk).
    const REAL_WEBP_LOSSLESS_3X2: &[u8] = &[
        0x52, 0x49, 0x46, 0x46, 0x1E, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4C, 0x11, 0x00,
        0x00, 0x00, 0x2F, 0x02, 0x40, 0x00, 0x00, 0x07, 0x50, 0xB6, 0xAE, 0x14, 0xB6, 0xFF, 0x81, 0x88, 0xE8, 0x7F,
        0x00, 0x00,
    ];

    /// A real, decodable 3×2 lossy WebP (RIFF + "VP8 " chunk).
    const REAL_WEBP_LOSSY_3X2: &[u8] = &[
        0x52, 0x49, 0x46, 0x46, 0x38, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20, 0x2C, 0x00,
        0x00, 0x00, 0xD0, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x03, 0x00, 0x02, 0x00, 0x01, 0x40, 0x26, 0x25, 0xA0, 0x02,
        0x74, 0xBA, 0x01, 0xF8, 0x00, 0x03, 0xB0, 0x00, 0xFE, 0xEE, 0xFF, 0x9F, 0xFE, 0x71, 0x2C, 0x75, 0x3B, 0xBA,
        0x0F, 0xFF, 0xE5, 0x2A, 0xF0, 0x58, 0xDC, 0xDF, 0x00, 0x00,
    ];

    // ---- byte-by-byte builders -------------------------------------------------------------

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[4..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    fn adler32(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in data {
            a = (a + u32::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        (b << 16) | a
    }

    /// zlib stream made of a single stored (uncompressed) deflate block.
    fn zlib_stored(raw: &[u8]) -> Vec<u8> {
        assert!(raw.len() <= 0xFFFF);
        let len = raw.len() as u16;
        let mut out = vec![0x78, 0x01, 0x01];
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(raw);
        out.extend_from_slice(&adler32(raw).to_be_bytes());
        out
    }

    /// An 8-bit greyscale PNG whose IHDR declares `width`×`height`, with a real stored IDAT
    /// holding one mid-grey row (the pixel data is only complete for 1-row images).
    fn grey_png(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let row_len = (width as usize).min(1000);
        let mut raw = vec![0u8];
        raw.extend(std::iter::repeat_n(0x80, row_len));
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(b"IDAT", &zlib_stored(&raw)));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    /// SOI, SOF0 (8-bit, 1 component) declaring `width`×`height`, EOI.
    fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08];
        jpeg.extend_from_slice(&height.to_be_bytes());
        jpeg.extend_from_slice(&width.to_be_bytes());
        jpeg.extend_from_slice(&[0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9]);
        jpeg
    }

    /// RIFF + VP8X chunk declaring a `width`×`height` canvas.
    fn webp_vp8x(width: u32, height: u32) -> Vec<u8> {
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&22u32.to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8X");
        webp.extend_from_slice(&10u32.to_le_bytes());
        webp.extend_from_slice(&[0, 0, 0, 0]);
        webp.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
        webp.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
        webp
    }

    /// Deterministic pseudo-random bytes (xorshift64).
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    fn parse(bytes: &[u8]) -> Result<Logo, LogoError> {
        Logo::parse(bytes.to_vec())
    }

    // ---- helpers ---------------------------------------------------------------------------

    #[test]
    fn crc32_gives_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // The IHDR CRC of the real PNG agrees with ours.
        assert_eq!(crc32(&REAL_PNG_1X1[12..29]), 0x9077_53DE);
    }

    #[test]
    fn the_test_builders_produce_headers_imagesize_reads() {
        let size = imagesize::blob_size(&grey_png(7, 1)).unwrap();
        assert_eq!((size.width, size.height), (7, 1));
        let size = imagesize::blob_size(&jpeg_header(5, 9)).unwrap();
        assert_eq!((size.width, size.height), (5, 9));
        let size = imagesize::blob_size(&webp_vp8x(640, 480)).unwrap();
        assert_eq!((size.width, size.height), (640, 480));
    }

    // ---- accepted --------------------------------------------------------------------------

    #[test]
    fn a_real_png_is_accepted_as_png_with_its_dimensions() {
        let logo = parse(REAL_PNG_1X1).unwrap();
        assert_eq!(logo.format(), LogoFormat::Png);
        assert_eq!(logo.content_type(), "image/png");
        assert_eq!((logo.width(), logo.height()), (1, 1));
        assert_eq!(logo.bytes(), REAL_PNG_1X1);
    }

    #[test]
    fn a_png_built_byte_by_byte_is_accepted_with_its_dimensions() {
        let logo = parse(&grey_png(12, 1)).unwrap();
        assert_eq!(logo.format(), LogoFormat::Png);
        assert_eq!((logo.width(), logo.height()), (12, 1));
    }

    #[test]
    fn a_real_jpeg_is_accepted_as_jpeg_with_width_and_height_the_right_way_round() {
        let logo = parse(REAL_JPEG_3X2).unwrap();
        assert_eq!(logo.format(), LogoFormat::Jpeg);
        assert_eq!(logo.content_type(), "image/jpeg");
        assert_eq!((logo.width(), logo.height()), (3, 2));
    }

    #[test]
    fn a_minimal_jpeg_header_is_accepted_as_jpeg() {
        let logo = parse(&jpeg_header(200, 100)).unwrap();
        assert_eq!(logo.format(), LogoFormat::Jpeg);
        assert_eq!((logo.width(), logo.height()), (200, 100));
    }

    #[test]
    fn a_real_lossless_webp_is_accepted_as_webp() {
        let logo = parse(REAL_WEBP_LOSSLESS_3X2).unwrap();
        assert_eq!(logo.format(), LogoFormat::Webp);
        assert_eq!(logo.content_type(), "image/webp");
        assert_eq!((logo.width(), logo.height()), (3, 2));
    }

    #[test]
    fn a_real_lossy_webp_is_accepted_as_webp() {
        let logo = parse(REAL_WEBP_LOSSY_3X2).unwrap();
        assert_eq!(logo.format(), LogoFormat::Webp);
        assert_eq!((logo.width(), logo.height()), (3, 2));
    }

    #[test]
    fn an_extended_webp_header_is_accepted_with_its_canvas_size() {
        let logo = parse(&webp_vp8x(1000, 300)).unwrap();
        assert_eq!(logo.format(), LogoFormat::Webp);
        assert_eq!((logo.width(), logo.height()), (1000, 300));
    }

    #[test]
    fn the_format_comes_from_the_content_alone_so_jpeg_bytes_are_jpeg() {
        // There is no file name or declared type in the API: whatever the browser called the
        // upload ("logo.png", image/png), JPEG bytes are a JPEG and PNG bytes a PNG.
        assert_eq!(parse(REAL_JPEG_3X2).unwrap().format(), LogoFormat::Jpeg);
        assert_eq!(parse(&sample_png(2, 2)).unwrap().format(), LogoFormat::Png);
        assert_eq!(parse(REAL_WEBP_LOSSY_3X2).unwrap().content_type(), "image/webp");
    }

    #[test]
    fn formats_have_content_types_and_labels() {
        assert_eq!(LogoFormat::Png.content_type(), "image/png");
        assert_eq!(LogoFormat::Jpeg.content_type(), "image/jpeg");
        assert_eq!(LogoFormat::Webp.content_type(), "image/webp");
        assert_eq!(LogoFormat::Png.label(), "PNG");
        assert_eq!(LogoFormat::Jpeg.label(), "JPEG");
        assert_eq!(LogoFormat::Webp.label(), "WebP");
    }

    #[test]
    fn into_bytes_gives_back_the_upload_unchanged() {
        let bytes = sample_png(3, 3);
        assert_eq!(Logo::parse(bytes.clone()).unwrap().into_bytes(), bytes);
    }

    // ---- size ------------------------------------------------------------------------------

    #[test]
    fn an_empty_upload_is_refused_as_empty() {
        assert_eq!(parse(&[]), Err(LogoError::Empty));
    }

    #[test]
    fn exactly_one_mib_is_accepted_size_wise() {
        let mut bytes = sample_png(16, 16);
        bytes.resize(MAX_LOGO_BYTES, 0); // trailing bytes after IEND are tolerated
        assert_eq!(bytes.len(), 1_048_576);
        assert_eq!(parse(&bytes).unwrap().bytes().len(), MAX_LOGO_BYTES);
    }

    #[test]
    fn one_byte_over_one_mib_is_refused_as_too_large() {
        let mut bytes = sample_png(16, 16);
        bytes.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(parse(&bytes), Err(LogoError::TooLarge));
    }

    #[test]
    fn the_length_is_checked_before_anything_else() {
        let svg_padded = [b"<svg>".as_slice(), &[b' '; MAX_LOGO_BYTES]].concat();
        assert_eq!(parse(&svg_padded), Err(LogoError::TooLarge));
        assert_eq!(parse(&noise(MAX_LOGO_BYTES + 1, 7)), Err(LogoError::TooLarge));
    }

    // ---- SVG -------------------------------------------------------------------------------

    #[test]
    fn an_svg_without_xml_prolog_is_refused_as_svg() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        assert_eq!(parse(svg), Err(LogoError::Svg));
    }

    #[test]
    fn an_svg_with_xml_prolog_is_refused_as_svg() {
        let svg = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>";
        assert_eq!(parse(svg), Err(LogoError::Svg));
    }

    #[test]
    fn an_svg_with_a_bom_and_leading_whitespace_is_refused_as_svg() {
        let svg = b"\xEF\xBB\xBF \r\n\t <svg viewBox=\"0 0 1 1\"></svg>";
        assert_eq!(parse(svg), Err(LogoError::Svg));
        let with_prolog = b"\xEF\xBB\xBF\n\n<?XML version=\"1.0\"?><svg/>";
        assert_eq!(parse(with_prolog), Err(LogoError::Svg));
    }

    #[test]
    fn an_svg_is_recognised_whatever_the_case() {
        assert_eq!(parse(b"<SVG></SVG>"), Err(LogoError::Svg));
        assert_eq!(parse(b"<?Xml version='1.0'?><Svg/>"), Err(LogoError::Svg));
    }

    #[test]
    fn an_svg_behind_a_doctype_or_comment_is_refused_as_svg() {
        let svg =
            b"<!-- Generator: Illustrator -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg></svg>";
        assert_eq!(parse(svg), Err(LogoError::Svg));
    }

    #[test]
    fn any_xml_document_is_refused_as_svg() {
        assert_eq!(parse(b"<?xml version=\"1.0\"?><note/>"), Err(LogoError::Svg));
    }

    #[test]
    fn a_utf16_svg_is_refused_as_svg() {
        let mut svg = vec![0xFF, 0xFE];
        for unit in "<svg></svg>".encode_utf16() {
            svg.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(parse(&svg), Err(LogoError::Svg));
    }

    #[test]
    fn svg_text_after_the_first_kib_is_not_looked_for() {
        let late = [b"<!--".as_slice(), &[b'x'; 2000], b"--><svg/>"].concat();
        assert_eq!(parse(&late), Err(LogoError::UnsupportedFormat));
    }

    // ---- unsupported -----------------------------------------------------------------------

    #[test]
    fn a_gif_is_refused_as_unsupported() {
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xFF\xFF\xFF!\xF9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        assert_eq!(parse(gif), Err(LogoError::UnsupportedFormat));
    }

    #[test]
    fn a_bmp_and_a_pdf_are_refused_as_unsupported() {
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 52]);
        assert_eq!(parse(&bmp), Err(LogoError::UnsupportedFormat));
        assert_eq!(parse(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n"), Err(LogoError::UnsupportedFormat));
    }

    #[test]
    fn an_html_page_is_refused_as_unsupported() {
        let html = b"<!DOCTYPE html>\n<html><head><title>Logo</title></head><body><img src=\"logo.png\"></body></html>";
        assert_eq!(parse(html), Err(LogoError::UnsupportedFormat));
    }

    #[test]
    fn random_bytes_are_refused_as_unsupported() {
        let mut checked = 0;
        for seed in 1..50 {
            let bytes = noise(300, seed);
            if LogoFormat::sniff(&bytes).is_none() && !looks_like_svg(&bytes) {
                checked += 1;
                assert_eq!(parse(&bytes), Err(LogoError::UnsupportedFormat), "seed {seed}");
            }
        }
        assert!(checked >= 45, "only {checked} random inputs were plain noise");
        assert_eq!(parse(b"x"), Err(LogoError::UnsupportedFormat));
    }

    #[test]
    fn a_riff_file_that_is_not_webp_is_refused_as_unsupported() {
        let wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00";
        assert_eq!(parse(wav), Err(LogoError::UnsupportedFormat));
    }

    // ---- dimensions ------------------------------------------------------------------------

    #[test]
    fn a_png_declaring_30000_by_30000_is_refused_as_dimensions_too_large() {
        let bomb = grey_png(30_000, 30_000);
        assert!(bomb.len() < 100 * 1024);
        assert_eq!(parse(&bomb), Err(LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 }));
    }

    #[test]
    fn a_png_declaring_5000_by_10_is_refused_as_dimensions_too_large() {
        assert_eq!(parse(&grey_png(5000, 10)), Err(LogoError::DimensionsTooLarge { width: 5000, height: 10 }));
        assert_eq!(parse(&grey_png(10, 5000)), Err(LogoError::DimensionsTooLarge { width: 10, height: 5000 }));
    }

    #[test]
    fn each_side_may_be_exactly_the_maximum() {
        let logo = parse(&grey_png(MAX_LOGO_SIDE, 1)).unwrap();
        assert_eq!(logo.width(), 4096);
        assert!(parse(&grey_png(1, MAX_LOGO_SIDE)).is_ok());
        assert!(parse(&grey_png(MAX_LOGO_SIDE + 1, 1)).is_err());
    }

    #[test]
    fn the_pixel_count_is_bounded_even_when_each_side_is_allowed() {
        // 4096 × 3906 = 15 998 976 pixels: allowed.
        assert!(parse(&grey_png(4096, 3906)).is_ok());
        // 4096 × 4096 = 16 777 216 pixels: refused although neither side is too long.
        assert_eq!(parse(&grey_png(4096, 4096)), Err(LogoError::DimensionsTooLarge { width: 4096, height: 4096 }));
    }

    #[test]
    fn jpeg_and_webp_dimensions_are_bounded_too() {
        assert_eq!(parse(&jpeg_header(5000, 10)), Err(LogoError::DimensionsTooLarge { width: 5000, height: 10 }));
        assert_eq!(
            parse(&webp_vp8x(30_000, 30_000)),
            Err(LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 })
        );
    }

    // ---- corrupt ---------------------------------------------------------------------------

    #[test]
    fn a_png_signature_alone_is_refused_as_corrupt() {
        assert_eq!(parse(PNG_SIGNATURE), Err(LogoError::Corrupt));
    }

    #[test]
    fn every_truncation_of_a_png_is_refused_as_corrupt() {
        let png = sample_png(8, 8);
        for len in PNG_SIGNATURE.len()..png.len() {
            assert_eq!(parse(&png[..len]), Err(LogoError::Corrupt), "length {len}");
        }
    }

    #[test]
    fn a_png_with_zero_width_or_height_is_refused_as_corrupt() {
        assert_eq!(parse(&grey_png(0, 1)), Err(LogoError::Corrupt));
        assert_eq!(parse(&grey_png(1, 0)), Err(LogoError::Corrupt));
        assert_eq!(parse(&sample_png(0, 0)), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_png_header_with_a_jpeg_body_is_refused_as_corrupt() {
        let chimera = [PNG_SIGNATURE.as_slice(), REAL_JPEG_3X2].concat();
        assert_eq!(parse(&chimera), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_png_whose_ihdr_checksum_is_wrong_is_refused_as_corrupt() {
        let mut png = grey_png(4, 1);
        png[20] ^= 0x01; // height byte changed, CRC not updated
        assert_eq!(parse(&png), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_png_with_an_impossible_bit_depth_is_refused_as_corrupt() {
        let mut ihdr = 4u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[3, 2, 0, 0, 0]); // 3-bit RGB does not exist
        let png =
            [PNG_SIGNATURE.to_vec(), chunk(b"IHDR", &ihdr), chunk(b"IDAT", &zlib_stored(&[0; 5])), chunk(b"IEND", &[])]
                .concat();
        assert_eq!(parse(&png), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_png_without_image_data_is_refused_as_corrupt() {
        let mut ihdr = 4u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let png = [PNG_SIGNATURE.to_vec(), chunk(b"IHDR", &ihdr), chunk(b"IEND", &[])].concat();
        assert_eq!(parse(&png), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_jpeg_without_a_frame_header_is_refused_as_corrupt() {
        assert_eq!(parse(b"\xFF\xD8\xFF"), Err(LogoError::Corrupt));
        assert_eq!(
            parse(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9"),
            Err(LogoError::Corrupt)
        );
        assert_eq!(parse(&jpeg_header(0, 10)), Err(LogoError::Corrupt));
    }

    #[test]
    fn a_truncated_webp_is_refused_as_corrupt() {
        let webp = REAL_WEBP_LOSSY_3X2;
        for len in 12..webp.len() {
            assert_eq!(parse(&webp[..len]), Err(LogoError::Corrupt), "length {len}");
        }
    }

    #[test]
    fn a_webp_with_an_unknown_first_chunk_is_refused_as_corrupt() {
        let mut webp = REAL_WEBP_LOSSLESS_3X2.to_vec();
        webp[12..16].copy_from_slice(b"ABCD");
        assert_eq!(parse(&webp), Err(LogoError::Corrupt));
    }

    #[test]
    fn mangled_images_never_panic() {
        let originals = [
            REAL_PNG_1X1.to_vec(),
            sample_png(20, 5),
            REAL_JPEG_3X2.to_vec(),
            jpeg_header(40, 40),
            REAL_WEBP_LOSSLESS_3X2.to_vec(),
            REAL_WEBP_LOSSY_3X2.to_vec(),
            webp_vp8x(9, 9),
        ];
        for (i, original) in originals.iter().enumerate() {
            for len in 0..=original.len() {
                let _ = parse(&original[..len]);
            }
            for (round, noise_byte) in noise(4000, i as u64 + 99).into_iter().enumerate() {
                let mut mangled = original.clone();
                let at = (round * 7919) % mangled.len();
                mangled[at] = noise_byte;
                if round % 3 == 0 {
                    let at2 = (round * 104_729) % mangled.len();
                    mangled[at2] = 0xFF;
                }
                let _ = parse(&mangled);
            }
        }
    }

    // ---- messages and Debug ----------------------------------------------------------------

    #[test]
    fn errors_read_as_sentences_for_the_logo_field() {
        assert_eq!(LogoError::Empty.to_string(), "The logo file is empty; choose a PNG, JPEG or WebP image.");
        assert_eq!(LogoError::TooLarge.to_string(), "The logo must be at most 1 MB.");
        assert_eq!(LogoError::Svg.to_string(), "SVG logos are not accepted; upload a PNG, JPEG or WebP image.");
        assert_eq!(LogoError::UnsupportedFormat.to_string(), "The logo must be a PNG, JPEG or WebP image.");
        assert_eq!(LogoError::Corrupt.to_string(), "The logo file looks damaged; please export it again.");
        assert_eq!(
            LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 }.to_string(),
            "The logo is too large in pixels (30000×30000); use at most 4096 pixels on each side."
        );
        assert_eq!(
            LogoError::DimensionsTooLarge { width: 4096, height: 4096 }.to_string(),
            "The logo is too large in pixels (4096×4096); use at most 16 megapixels in total."
        );
    }

    #[test]
    fn debug_shows_format_size_and_dimensions_but_never_the_bytes() {
        let logo = parse(&sample_png(64, 32)).unwrap();
        let shown = format!("{logo:?}");
        assert_eq!(shown, format!("Logo {{ format: Png, size_bytes: {}, width: 64, height: 32 }}", logo.bytes().len()));
        assert!(!shown.contains('['));
        assert!(!shown.contains("137"));
    }

    // ---- sample_png ------------------------------------------------------------------------

    #[test]
    fn sample_png_is_accepted_with_the_requested_dimensions() {
        let logo = parse(&sample_png(64, 64)).unwrap();
        assert_eq!(logo.format(), LogoFormat::Png);
        assert_eq!((logo.width(), logo.height()), (64, 64));
        assert!(logo.bytes().len() < 200);
        for (w, h) in [(1, 1), (7, 3), (9, 1), (300, 200), (4096, 3906)] {
            let logo = parse(&sample_png(w, h)).unwrap();
            assert_eq!((logo.width(), logo.height()), (w, h));
        }
    }

    #[test]
    fn sample_png_of_30000_by_30000_is_a_real_bomb_under_one_mib_and_is_refused() {
        let bomb = sample_png(30_000, 30_000);
        assert!(bomb.len() < MAX_LOGO_BYTES, "{} bytes", bomb.len());
        assert_eq!(parse(&bomb), Err(LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 }));
    }

    #[test]
    fn sample_png_of_absurd_sizes_still_has_the_declared_header() {
        let png = sample_png(u32::MAX, u32::MAX);
        assert!(png.len() < 200);
        let size = imagesize::blob_size(&png).unwrap();
        assert_eq!((size.width, size.height), (u32::MAX as usize, u32::MAX as usize));
    }

    #[test]
    fn sample_png_data_is_a_well_formed_zlib_stream() {
        // Stored-vs-compressed cross-check: both encodings end with the same Adler-32.
        let png = sample_png(9, 2); // 2 rows × (1 filter byte + 2 bytes) = 6 zero bytes
        let idat_at = png.windows(4).position(|w| w == b"IDAT").unwrap();
        let idat_len = be_u32(&png, idat_at - 4).unwrap() as usize;
        let idat = &png[idat_at + 4..idat_at + 4 + idat_len];
        assert_eq!(&idat[..2], &[0x78, 0x01]);
        assert_eq!((0x7801u32) % 31, 0);
        assert_eq!(idat[idat.len() - 4..], adler32(&[0; 6]).to_be_bytes());
        // Fixed-Huffman block: BFINAL=1, BTYPE=01 in the first three bits.
        assert_eq!(idat[2] & 0b111, 0b011);
    }
}
