//! Unit tests of `domain::logo`.

use image::{codecs::jpeg::JpegEncoder, codecs::webp::WebPEncoder, GenericImageView, GrayImage};

use super::*;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A real 1×1 RGB PNG (as written by an image editor), embedded verbatim.
const REAL_PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xD0, 0xCE, 0xD9, 0x00, 0x00, 0x02, 0x0D, 0x01, 0x48, 0x39, 0x67, 0xEF, 0xD8,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A real, decodable 3×2 greyscale baseline JPEG (JFIF APP0, DQT, SOF0, DHT×2, SOS, EOI).
const REAL_JPEG_3X2: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03, 0x03, 0x04, 0x03, 0x03,
    0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0A, 0x07, 0x07, 0x06, 0x08, 0x0C, 0x0A, 0x0C, 0x0C, 0x0B, 0x0A,
    0x0B, 0x0B, 0x0D, 0x0E, 0x12, 0x10, 0x0D, 0x0E, 0x11, 0x0E, 0x0B, 0x0B, 0x10, 0x16, 0x10, 0x11, 0x13, 0x14, 0x15,
    0x15, 0x15, 0x0C, 0x0F, 0x17, 0x18, 0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00,
    0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08,
    0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9,
];

/// A real, decodable 3×2 lossy WebP (RIFF + "VP8 " chunk); `image` only writes lossless ones.
const REAL_WEBP_LOSSY_3X2: &[u8] = &[
    0x52, 0x49, 0x46, 0x46, 0x38, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20, 0x2C, 0x00, 0x00,
    0x00, 0xD0, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x03, 0x00, 0x02, 0x00, 0x01, 0x40, 0x26, 0x25, 0xA0, 0x02, 0x74, 0xBA,
    0x01, 0xF8, 0x00, 0x03, 0xB0, 0x00, 0xFE, 0xEE, 0xFF, 0x9F, 0xFE, 0x71, 0x2C, 0x75, 0x3B, 0xBA, 0x0F, 0xFF, 0xE5,
    0x2A, 0xF0, 0x58, 0xDC, 0xDF, 0x00, 0x00,
];

/// What the EXIF fixtures hide in their ImageDescription, next to real GPS tags.
const GPS_TEXT: &[u8] = b"GPS 52.3676N 4.9041E";

// ---- fixtures --------------------------------------------------------------------------

fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| Rgb([(x * 7) as u8, (y * 5) as u8, 0x90]))
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let image = gradient(width, height);
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&image, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn webp_lossless(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let image = gradient(width, height);
    WebPEncoder::new_lossless(&mut out).write_image(&image, width, height, image::ExtendedColorType::Rgb8).unwrap();
    out
}

/// A greyscale PNG with real pixels (a quarter of the memory of RGBA for the big ones).
fn grey_png(width: u32, height: u32) -> Vec<u8> {
    encode_png(&DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, _| image::Luma([x as u8])))).unwrap()
}

/// A big-endian TIFF block as EXIF holds it: IFD0 with ImageDescription ([`GPS_TEXT`]),
/// Orientation and a GPS IFD (latitude 52° N).
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [tag.to_be_bytes().as_slice(), &kind.to_be_bytes(), &count.to_be_bytes(), &value].concat()
    };
    let mut tiff = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&3u16.to_be_bytes()); // IFD0 at 8: 3 entries, ends at 50
    tiff.extend(entry(0x010E, 2, GPS_TEXT.len() as u32 + 1, 104u32.to_be_bytes()));
    tiff.extend(entry(0x0112, 3, 1, [(orientation >> 8) as u8, orientation as u8, 0, 0]));
    tiff.extend(entry(0x8825, 4, 1, 50u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes()); // GPS IFD at 50: 2 entries, ends at 80
    tiff.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, 80u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(52u32, 1u32), (22, 1), (3, 1)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    assert_eq!(tiff.len(), 104);
    tiff.extend_from_slice(GPS_TEXT);
    tiff.push(0);
    tiff
}

/// A JPEG with an APP1 `Exif` segment (GPS, orientation) right after SOI.
fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    let payload = [b"Exif\0\0".as_slice(), &exif_with_gps(orientation)].concat();
    let length = (payload.len() + 2) as u16;
    [&plain[..2], &[0xFF, 0xE1], &length.to_be_bytes(), &payload, &plain[2..]].concat()
}

/// A PNG with an eXIf chunk (GPS) and a tEXt comment, written by the `png` crate.
fn png_with_exif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.add_text_chunk("Comment".into(), "GPS 52.3676N 4.9041E".into()).unwrap();
    let mut writer = encoder.write_header().unwrap();
    writer.write_chunk(png::chunk::eXIf, &exif_with_gps(1)).unwrap();
    writer.write_image_data(gradient(width, height).as_raw()).unwrap();
    writer.finish().unwrap();
    out
}

/// SOI and SOF0 (8-bit, 1 component) declaring `width`×`height`, then EOI: no scan.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9]);
    jpeg
}

/// RIFF + VP8X chunk declaring a `width`×`height` canvas, and no image data.
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

/// The stored bytes, decoded as PNG (and only as PNG).
fn stored_image(logo: &Logo) -> DynamicImage {
    assert!(logo.bytes().starts_with(PNG_SIGNATURE));
    image::load_from_memory_with_format(logo.bytes(), ImageFormat::Png).unwrap()
}

/// Every truncation of `file` is refused as damaged, except those losing only its last
/// `trailer` bytes after every pixel was read (IEND's checksum, RIFF padding): those store
/// exactly the image the whole file does.
fn assert_truncations_refused(file: &[u8], trailer: usize) {
    let whole = parse(file).unwrap();
    let recognised = (1..file.len()).find(|&len| LogoFormat::sniff(&file[..len]).is_some()).unwrap();
    for len in recognised..file.len() {
        if len < file.len() - trailer {
            assert_eq!(parse(&file[..len]), Err(LogoError::Corrupt), "length {len} of {}", file.len());
        } else {
            assert_eq!(parse(&file[..len]).as_ref().map(Logo::bytes), Ok(whole.bytes()), "length {len}");
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---- accepted formats, re-encoded ------------------------------------------------------

#[test]
fn png_jpeg_and_webp_uploads_are_stored_as_png_of_the_same_size() {
    for (upload, format, size) in [
        (REAL_PNG_1X1.to_vec(), LogoFormat::Png, (1, 1)),
        (REAL_JPEG_3X2.to_vec(), LogoFormat::Jpeg, (3, 2)),
        (jpeg(40, 30), LogoFormat::Jpeg, (40, 30)),
        (REAL_WEBP_LOSSY_3X2.to_vec(), LogoFormat::Webp, (3, 2)),
        (webp_lossless(20, 10), LogoFormat::Webp, (20, 10)),
    ] {
        let logo = parse(&upload).unwrap();
        assert_eq!(logo.format(), format);
        assert_eq!(logo.content_type(), "image/png");
        assert_eq!((logo.width(), logo.height()), size, "{format:?}");
        assert_eq!(stored_image(&logo).dimensions(), size);
    }
}

#[test]
fn the_pixels_survive_re_encoding() {
    let lossless = webp_lossless(20, 10);
    let stored = stored_image(&parse(&lossless).unwrap()).to_rgb8();
    assert_eq!(stored, gradient(20, 10));
}

#[test]
fn the_stored_bytes_are_written_anew_not_copied() {
    let logo = parse(REAL_PNG_1X1).unwrap();
    assert_ne!(logo.bytes(), REAL_PNG_1X1);
    assert_eq!(Logo::parse(REAL_PNG_1X1.to_vec()).unwrap().into_bytes(), logo.bytes());
}

#[test]
fn a_sample_png_is_stored_byte_for_byte_as_it_was_made() {
    let png = sample_png(64, 64);
    assert_eq!(parse(&png).unwrap().into_bytes(), png);
}

#[test]
fn formats_have_labels() {
    assert_eq!(LogoFormat::Png.label(), "PNG");
    assert_eq!(LogoFormat::Jpeg.label(), "JPEG");
    assert_eq!(LogoFormat::Webp.label(), "WebP");
}

// ---- nothing but pixels is kept ----------------------------------------------------------

#[test]
fn a_jpeg_s_exif_and_gps_data_are_not_stored() {
    let upload = jpeg_with_exif(40, 30, 1);
    assert!(contains(&upload, b"Exif") && contains(&upload, GPS_TEXT));
    let logo = parse(&upload).unwrap();
    assert!(!contains(logo.bytes(), b"Exif"));
    assert!(!contains(logo.bytes(), GPS_TEXT));
    assert!(!contains(logo.bytes(), b"eXIf"));
    assert_eq!(stored_image(&logo).dimensions(), (40, 30));
}

#[test]
fn a_png_s_exif_and_text_chunks_are_not_stored() {
    let upload = png_with_exif(16, 8);
    assert!(contains(&upload, b"eXIf") && contains(&upload, b"tEXt") && contains(&upload, GPS_TEXT));
    let logo = parse(&upload).unwrap();
    for marker in [b"eXIf".as_slice(), b"tEXt", b"MM\x00\x2A", GPS_TEXT] {
        assert!(!contains(logo.bytes(), marker), "{}", String::from_utf8_lossy(marker));
    }
    assert_eq!(stored_image(&logo).to_rgb8(), gradient(16, 8));
}

#[test]
fn the_exif_orientation_is_applied_before_it_is_dropped() {
    // Orientation 6: the camera was turned; the picture is shown rotated 90° clockwise.
    let logo = parse(&jpeg_with_exif(40, 20, 6)).unwrap();
    assert_eq!((logo.width(), logo.height()), (20, 40));
}

#[test]
fn bytes_after_a_png_s_end_are_not_stored() {
    let payload = b"<script>alert(document.cookie)</script>";
    let polyglot = [sample_png(16, 16).as_slice(), payload].concat();
    let logo = parse(&polyglot).unwrap();
    assert_eq!(logo.bytes(), sample_png(16, 16));
    assert!(!contains(logo.bytes(), b"<script>"));
}

#[test]
fn bytes_after_a_jpeg_s_end_are_not_stored() {
    let polyglot = [jpeg(8, 8).as_slice(), b"PK\x03\x04 a zip file"].concat();
    assert!(!contains(parse(&polyglot).unwrap().bytes(), b"PK\x03\x04"));
}

// ---- scaled down to at most 512 pixels a side ------------------------------------------

#[test]
fn a_2000_by_1000_image_is_stored_as_512_by_256() {
    let logo = parse(&sample_png(2000, 1000)).unwrap();
    assert_eq!((logo.width(), logo.height()), (512, 256));
    assert_eq!(stored_image(&logo).dimensions(), (512, 256));
}

#[test]
fn a_tall_image_keeps_its_aspect_and_a_small_one_is_not_enlarged() {
    let tall = parse(&jpeg(300, 1200)).unwrap();
    assert_eq!((tall.width(), tall.height()), (128, 512));
    let small = parse(&sample_png(300, 200)).unwrap();
    assert_eq!((small.width(), small.height()), (300, 200));
    let exact = parse(&sample_png(512, 100)).unwrap();
    assert_eq!((exact.width(), exact.height()), (512, 100));
}

// ---- size ------------------------------------------------------------------------------

#[test]
fn an_empty_upload_is_refused_as_empty() {
    assert_eq!(parse(&[]), Err(LogoError::Empty));
}

#[test]
fn exactly_one_mib_is_accepted_size_wise() {
    let mut bytes = sample_png(16, 16);
    bytes.resize(MAX_LOGO_BYTES, 0); // zeros after IEND: tolerated, then dropped
    assert_eq!(bytes.len(), 1_048_576);
    assert_eq!(parse(&bytes).unwrap().bytes(), sample_png(16, 16));
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
    let svg = b"<!-- Generator: Illustrator -->\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg></svg>";
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

// ---- dimensions, read before any pixel -------------------------------------------------

#[test]
fn a_png_header_declaring_30000_by_30000_is_refused_as_dimensions_too_large() {
    let bomb = png_header_only(30_000, 30_000);
    assert!(bomb.len() < 100);
    assert_eq!(parse(&bomb), Err(LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 }));
    assert_eq!(
        parse(&sample_png(30_000, 30_000)),
        Err(LogoError::DimensionsTooLarge { width: 30_000, height: 30_000 })
    );
}

#[test]
fn a_png_declaring_5000_by_10_is_refused_as_dimensions_too_large() {
    assert_eq!(parse(&png_header_only(5000, 10)), Err(LogoError::DimensionsTooLarge { width: 5000, height: 10 }));
    assert_eq!(parse(&png_header_only(10, 5000)), Err(LogoError::DimensionsTooLarge { width: 10, height: 5000 }));
}

#[test]
fn each_side_may_be_exactly_the_maximum() {
    let logo = parse(&grey_png(MAX_LOGO_SIDE, 2)).unwrap();
    assert_eq!((logo.width(), logo.height()), (512, 1));
    assert!(parse(&grey_png(2, MAX_LOGO_SIDE)).is_ok());
    assert!(parse(&png_header_only(MAX_LOGO_SIDE + 1, 1)).is_err());
}

#[test]
fn the_pixel_count_is_bounded_even_when_each_side_is_allowed() {
    // 4096 × 3906 = 15 998 976 pixels: allowed, and stored at 512 × 488.
    let logo = parse(&grey_png(4096, 3906)).unwrap();
    assert_eq!((logo.width(), logo.height()), (512, 488));
    // 4096 × 4096 = 16 777 216 pixels: refused although neither side is too long.
    assert_eq!(parse(&png_header_only(4096, 4096)), Err(LogoError::DimensionsTooLarge { width: 4096, height: 4096 }));
}

#[test]
fn jpeg_dimensions_are_bounded_too() {
    // A real JPEG whose frame header was edited to claim 5000×10.
    let mut jpeg = jpeg(16, 8);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0, 10, 0x13, 0x88]);
    assert_eq!(parse(&jpeg), Err(LogoError::DimensionsTooLarge { width: 5000, height: 10 }));
}

// ---- incomplete or damaged files -------------------------------------------------------

#[test]
fn a_png_signature_alone_is_refused_as_corrupt() {
    assert_eq!(parse(PNG_SIGNATURE), Err(LogoError::Corrupt));
}

#[test]
fn every_truncation_of_a_png_is_refused_as_corrupt() {
    assert_truncations_refused(&sample_png(8, 8), 4);
    assert_truncations_refused(&png_with_exif(6, 4), 4);
}

#[test]
fn a_png_header_without_image_data_is_refused_as_corrupt() {
    assert_eq!(parse(&png_header_only(4, 1)), Err(LogoError::Corrupt));
}

#[test]
fn a_png_header_with_a_jpeg_body_is_refused_as_corrupt() {
    let chimera = [PNG_SIGNATURE, REAL_JPEG_3X2].concat();
    assert_eq!(parse(&chimera), Err(LogoError::Corrupt));
}

#[test]
fn a_png_whose_header_checksum_is_wrong_is_refused_as_corrupt() {
    let mut png = sample_png(4, 1);
    png[20] ^= 0x01; // height byte changed, CRC not updated
    assert_eq!(parse(&png), Err(LogoError::Corrupt));
}

#[test]
fn a_header_only_jpeg_is_refused_as_corrupt() {
    assert_eq!(parse(&jpeg_header(40, 40)), Err(LogoError::Corrupt));
    assert_eq!(parse(&jpeg_header(40, 40)[..15]), Err(LogoError::Corrupt), "SOI + SOF, not even EOI");
    assert_eq!(parse(&jpeg_header(0, 10)), Err(LogoError::Corrupt));
}

#[test]
fn a_jpeg_without_a_frame_header_is_refused_as_corrupt() {
    assert_eq!(parse(b"\xFF\xD8\xFF"), Err(LogoError::Corrupt));
    assert_eq!(
        parse(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9"),
        Err(LogoError::Corrupt)
    );
}

#[test]
fn every_truncation_of_a_jpeg_is_refused_as_corrupt() {
    // Including a cut in the last row of blocks, which the decoder alone would fill in.
    assert_truncations_refused(&jpeg(64, 48), 0);
    assert_truncations_refused(REAL_JPEG_3X2, 0);
}

#[test]
fn a_vp8x_only_webp_is_refused() {
    assert_eq!(parse(&webp_vp8x(9, 9)), Err(LogoError::Corrupt));
    assert!(parse(&webp_vp8x(30_000, 30_000)).is_err());
}

#[test]
fn every_truncation_of_a_webp_is_refused_as_corrupt() {
    assert_truncations_refused(&webp_lossless(20, 10), 0);
    assert_truncations_refused(REAL_WEBP_LOSSY_3X2, 2);
}

#[test]
fn a_webp_with_an_unknown_first_chunk_is_refused_as_corrupt() {
    let mut webp = webp_lossless(3, 2);
    webp[12..16].copy_from_slice(b"ABCD");
    assert_eq!(parse(&webp), Err(LogoError::Corrupt));
}

#[test]
fn mangled_images_never_panic() {
    let originals = [
        REAL_PNG_1X1.to_vec(),
        sample_png(20, 5),
        png_with_exif(6, 4),
        REAL_JPEG_3X2.to_vec(),
        jpeg_with_exif(16, 8, 6),
        jpeg_header(40, 40),
        webp_lossless(6, 4),
        REAL_WEBP_LOSSY_3X2.to_vec(),
        webp_vp8x(9, 9),
    ];
    for (i, original) in originals.iter().enumerate() {
        for len in 0..=original.len() {
            let _ = parse(&original[..len]);
        }
        for (round, noise_byte) in noise(600, i as u64 + 99).into_iter().enumerate() {
            let mut mangled = original.clone();
            let at = (round * 7919) % mangled.len();
            mangled[at] = noise_byte;
            if round % 3 == 0 {
                let at2 = (round * 104_729) % mangled.len();
                mangled[at2] = 0xFF;
            }
            if let Ok(logo) = parse(&mangled) {
                assert!(logo.width() <= STORED_LOGO_SIDE && logo.height() <= STORED_LOGO_SIDE);
            }
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
    let logo = parse(&jpeg(64, 32)).unwrap();
    let shown = format!("{logo:?}");
    assert_eq!(
        shown,
        format!("Logo {{ uploaded_as: Jpeg, size_bytes: {}, width: 64, height: 32 }}", logo.bytes().len())
    );
    assert!(!shown.contains('['));
    assert!(!shown.contains("137"));
}

// ---- sample_png and png_header_only ----------------------------------------------------

#[test]
fn sample_png_is_a_small_real_png_of_the_requested_dimensions() {
    let png = sample_png(64, 64);
    assert!(png.len() < 200, "{} bytes", png.len());
    let image = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
    assert_eq!(image.dimensions(), (64, 64));
    assert_eq!(image.to_rgb8().get_pixel(63, 63), &Rgb([0x2B, 0x6C, 0xB0]));
    for (w, h) in [(1, 1), (7, 3), (9, 1), (300, 200)] {
        let image = image::load_from_memory(&sample_png(w, h)).unwrap();
        assert_eq!(image.dimensions(), (w, h));
    }
}

#[test]
fn png_header_only_declares_the_dimensions_without_pixels() {
    for (w, h) in [(30_000, 30_000), (u32::MAX >> 1, 3)] {
        let png = png_header_only(w, h);
        assert!(png.len() < 100);
        assert!(!contains(&png, b"IDAT"));
        let mut decoder = png::Decoder::new(Cursor::new(png.as_slice()));
        let info = decoder.read_header_info().unwrap();
        assert_eq!((info.width, info.height), (w, h));
    }
    assert_eq!(sample_png(30_000, 30_000), png_header_only(30_000, 30_000));
}
