//! A partner's logo upload: a PNG, JPEG or WebP recognised by content, decoded under size and
//! pixel bounds, and re-encoded as a fresh PNG of at most [`STORED_LOGO_SIDE`] pixels a side.
//!
//! Only the pixels survive: EXIF (GPS, camera), ICC, text chunks, bytes after the image's end
//! and anything else a file could smuggle (a polyglot's second format) are never stored, so the
//! portal serves nothing it did not write itself.

use std::{fmt, io::Cursor};

use image::{
    codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder},
    imageops::FilterType,
    metadata::Orientation,
    DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits, Rgb, RgbImage,
};

/// The largest accepted logo file, in bytes (1 MiB).
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// The largest accepted width and height, in pixels, each side.
pub const MAX_LOGO_SIDE: u32 = 4096;
/// The largest accepted pixel count (width × height).
pub const MAX_LOGO_PIXELS: u64 = 16_000_000;
/// The stored logo's longer side is at most this many pixels (larger uploads are scaled down).
pub const STORED_LOGO_SIDE: u32 = 512;

/// The decoder's own allocation ceiling: the largest accepted image at 16-bit RGBA (8 bytes a
/// pixel, 128 MB) plus room for the decoders' working buffers.
const MAX_DECODE_ALLOC: u64 = MAX_LOGO_PIXELS * 8 + 32 * 1024 * 1024;

/// How many leading bytes are searched for an `<svg` tag.
const SVG_SNIFF_WINDOW: usize = 1024;

/// The image formats a logo may be uploaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Jpeg,
    Webp,
}

impl LogoFormat {
    /// The name shown to people: `PNG`, `JPEG` or `WebP`.
    pub fn label(&self) -> &'static str {
        match self {
            LogoFormat::Png => "PNG",
            LogoFormat::Jpeg => "JPEG",
            LogoFormat::Webp => "WebP",
        }
    }

    /// Recognises the format by its magic bytes only (never by file name or declared type).
    fn sniff(bytes: &[u8]) -> Option<LogoFormat> {
        match image::guess_format(bytes) {
            Ok(ImageFormat::Png) => Some(LogoFormat::Png),
            Ok(ImageFormat::Jpeg) => Some(LogoFormat::Jpeg),
            Ok(ImageFormat::WebP) => Some(LogoFormat::Webp),
            _ => None,
        }
    }

    fn image_format(&self) -> ImageFormat {
        match self {
            LogoFormat::Png => ImageFormat::Png,
            LogoFormat::Jpeg => ImageFormat::Jpeg,
            LogoFormat::Webp => ImageFormat::WebP,
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

/// A validated logo: a PNG the portal encoded itself from the pixels of an accepted upload.
///
/// Only [`Logo::parse`] builds one, so a `Logo` always comes from a PNG, JPEG or WebP of at
/// most [`MAX_LOGO_BYTES`] and bounded dimensions that decoded completely, and its bytes are a
/// metadata-free PNG whose longer side is at most [`STORED_LOGO_SIDE`].
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    png: Vec<u8>,
    uploaded_as: LogoFormat,
    width: u32,
    height: u32,
}

impl Logo {
    /// Validates an uploaded file by its content alone (no file name or declared content type),
    /// decodes it and re-encodes it. CPU-bound (up to a second for a 16-megapixel upload): call
    /// it off the async executor.
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

        let (width, height) = declared_dimensions(format, &bytes)?;
        if width == 0 || height == 0 {
            return Err(LogoError::Corrupt);
        }
        if width > MAX_LOGO_SIDE || height > MAX_LOGO_SIDE || u64::from(width) * u64::from(height) > MAX_LOGO_PIXELS {
            return Err(LogoError::DimensionsTooLarge { width, height });
        }

        let image = decode(format, &bytes).map_err(|e| match e {
            ImageError::Limits(_) => LogoError::DimensionsTooLarge { width, height },
            _ => LogoError::Corrupt,
        })?;
        let image = if image.width().max(image.height()) > STORED_LOGO_SIDE {
            image.resize(STORED_LOGO_SIDE, STORED_LOGO_SIDE, FilterType::Lanczos3)
        } else {
            image
        };
        let png = encode_png(&image).ok_or(LogoError::Corrupt)?;
        Ok(Logo { png, uploaded_as: format, width: image.width(), height: image.height() })
    }

    /// The PNG to store and serve.
    pub fn bytes(&self) -> &[u8] {
        &self.png
    }

    /// The PNG to store and serve.
    pub fn into_bytes(self) -> Vec<u8> {
        self.png
    }

    /// The format the upload was in (what is stored is always a PNG).
    pub fn format(&self) -> LogoFormat {
        self.uploaded_as
    }

    /// The MIME type to serve the logo with: always `image/png`.
    pub fn content_type(&self) -> &'static str {
        "image/png"
    }

    /// Width in pixels of the stored PNG.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels of the stored PNG.
    pub fn height(&self) -> u32 {
        self.height
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("uploaded_as", &self.uploaded_as)
            .field("size_bytes", &self.png.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// The width and height the file's header declares, read without decoding any pixels. A PNG's
/// come from its IHDR alone, so a header-only file still gets the "too large" message.
fn declared_dimensions(format: LogoFormat, bytes: &[u8]) -> Result<(u32, u32), LogoError> {
    if format == LogoFormat::Png {
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        let info = decoder.read_header_info().map_err(|_| LogoError::Corrupt)?;
        return Ok((info.width, info.height));
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.into_dimensions().map_err(|_| LogoError::Corrupt)
}

/// Decodes every pixel, turns the image upright as its EXIF orientation says (the EXIF itself
/// is then dropped) and keeps 8 bits a channel.
fn decode(format: LogoFormat, bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let image = if format == LogoFormat::Jpeg { decode_jpeg(bytes)? } else { decode_bounded(format, bytes)? };
    Ok(match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    })
}

/// PNG and WebP through `image`, under [`Limits`] on dimensions and allocation.
fn decode_bounded(format: LogoFormat, bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_LOGO_SIDE);
    limits.max_image_height = Some(MAX_LOGO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder()?;
    limits.reserve(decoder.total_bytes())?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// JPEG through zune-jpeg (`image`'s own JPEG decoder) in strict mode, so a scan that ends
/// early is an error rather than grey rows; output is 8-bit greyscale or RGB (CMYK converted).
fn decode_jpeg(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let broken = |what: String| ImageError::Decoding(image::error::DecodingError::new(ImageFormat::Jpeg.into(), what));
    let side = MAX_LOGO_SIDE as usize;
    let options = DecoderOptions::default().set_strict_mode(true).set_max_width(side).set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| broken(e.to_string()))?;
    let grey = matches!(decoder.input_colorspace(), Some(ColorSpace::Luma | ColorSpace::LumaA));
    let out = if grey { ColorSpace::Luma } else { ColorSpace::RGB };
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(out));
    let pixels = decoder.decode().map_err(|e| broken(e.to_string()))?;
    let (w, h) = decoder.dimensions().ok_or_else(|| broken("no frame".into()))?;
    let (w, h) = (u32::try_from(w).unwrap_or(u32::MAX), u32::try_from(h).unwrap_or(u32::MAX));
    let image = if grey {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    let mut image = image.ok_or_else(|| broken("pixel data does not match the frame".into()))?;
    // A scan cut short in its last row of blocks still decodes (missing bits read as zeros): the
    // end-of-image marker after the last scan header is what tells that the file is whole.
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    if !last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9])) {
        return Err(broken("no end-of-image marker after the last scan".into()));
    }
    let orientation = decoder.exif().and_then(|exif| Orientation::from_exif_chunk(exif));
    image.apply_orientation(orientation.unwrap_or(Orientation::NoTransforms));
    Ok(image)
}

/// A PNG of just the pixels: no ICC, EXIF or text chunk is written.
fn encode_png(image: &DynamicImage) -> Option<Vec<u8>> {
    let mut png = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut png, CompressionType::Best, PngFilter::Adaptive);
    encoder.write_image(image.as_bytes(), image.width(), image.height(), image.color().into()).ok()?;
    Some(png)
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

/// A solid calm-blue `width`×`height` PNG for tests and demo data, written by the same encoder
/// as stored logos, so uploading one up to [`STORED_LOGO_SIDE`] a side stores the very same bytes.
///
/// Sizes a logo may not have (a zero or over-long side, too many pixels) give
/// [`png_header_only`] instead: the declared dimensions without pixels, never a huge buffer.
pub fn sample_png(width: u32, height: u32) -> Vec<u8> {
    let allowed = width > 0
        && height > 0
        && width <= MAX_LOGO_SIDE
        && height <= MAX_LOGO_SIDE
        && u64::from(width) * u64::from(height) <= MAX_LOGO_PIXELS;
    if !allowed {
        return png_header_only(width, height);
    }
    let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb([0x2B, 0x6C, 0xB0])));
    encode_png(&image).unwrap_or_else(|| png_header_only(width, height))
}

/// The PNG signature, an IHDR declaring `width`×`height` (8-bit greyscale) and IEND, with no
/// image data: a pixel bomb's header (30000×30000) at a few dozen bytes, for tests. A zero side,
/// which the `png` crate refuses to write, gives an IHDR of 1×1.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width.max(1), height.max(1));
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    // Dropping the writer right after the header appends IEND.
    drop(encoder.write_header());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
