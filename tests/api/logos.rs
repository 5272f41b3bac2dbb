//! Logos are decoded and re-encoded: what the portal stores and serves is a fresh PNG of at most
//! 512 pixels a side, without the upload's metadata or anything hidden after its image data.

use diesel::prelude::*;
use image::{codecs::jpeg::JpegEncoder, GenericImageView, ImageEncoder, ImageFormat, Rgb, RgbImage};
use partner_portal::domain::PartnerId;
use partner_portal::{
    db::schema,
    domain::{png_header_only, sample_png},
};
use reqwest::{multipart, StatusCode};

use crate::{
    fixtures::{audit_actions, logo_of, PartnerFixture},
    helpers::{csrf_token, location, TestApp, PASSWORD},
    page::Page,
};

const ADMIN: &str = "erin@acme.example";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// What the EXIF fixtures carry in their ImageDescription, next to real GPS tags.
const GPS_TEXT: &[u8] = b"GPS 52.3676N 4.9041E";
const DAMAGED: &str = "The logo file looks damaged; please export it again.";

async fn logged_in_with_partner() -> (TestApp, PartnerId) {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create_in(&mut app.conn(), enterprise_id).id;
    (app, partner)
}

async fn token(app: &TestApp) -> String {
    csrf_token(&app.get_html("/settings/partners").await.1)
}

/// Uploads `bytes` as the partner's new logo through Edit partner, like a browser.
async fn upload(app: &TestApp, partner: PartnerId, bytes: Vec<u8>, file_name: &str) -> reqwest::Response {
    let form = multipart::Form::new()
        .text("csrf_token", token(app).await)
        .text("name", "Globex")
        .part("logo", multipart::Part::bytes(bytes).file_name(file_name.to_string()));
    app.client.post(app.url(&format!("/settings/partners/{partner}/edit"))).multipart(form).send().await.unwrap()
}

/// The logo as the portal serves it: its content type and bytes.
async fn served_logo(app: &TestApp, path: &str) -> (String, Vec<u8>) {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    (content_type, r.bytes().await.unwrap().to_vec())
}

/// Decodes served bytes as a PNG and nothing else.
fn decode_png(bytes: &[u8]) -> image::DynamicImage {
    assert!(bytes.starts_with(PNG_SIGNATURE), "served bytes are a PNG");
    image::load_from_memory_with_format(bytes, ImageFormat::Png).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn stored_type_and_size(app: &TestApp, partner: PartnerId) -> (String, i32, i32) {
    use schema::partner_logos::dsl as l;
    l::partner_logos.find(partner).select((l::content_type, l::width, l::height)).first(&mut app.conn()).unwrap()
}

fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| Rgb([(x * 7) as u8, (y * 5) as u8, 0x90]))
}

/// A big-endian TIFF block as EXIF holds it: IFD0 with ImageDescription ([`GPS_TEXT`]) and a GPS
/// IFD (latitude 52° 22' 3" N).
fn exif_with_gps() -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [tag.to_be_bytes().as_slice(), &kind.to_be_bytes(), &count.to_be_bytes(), &value].concat()
    };
    let mut tiff = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes()); // IFD0 at 8: 2 entries, ends at 38
    tiff.extend(entry(0x010E, 2, GPS_TEXT.len() as u32 + 1, 92u32.to_be_bytes()));
    tiff.extend(entry(0x8825, 4, 1, 38u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes()); // GPS IFD at 38: 2 entries, ends at 68
    tiff.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, 68u32.to_be_bytes()));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [(52u32, 1u32), (22, 1), (3, 1)] {
        tiff.extend_from_slice(&num.to_be_bytes());
        tiff.extend_from_slice(&den.to_be_bytes());
    }
    assert_eq!(tiff.len(), 92);
    tiff.extend_from_slice(GPS_TEXT);
    tiff.push(0);
    tiff
}

/// A camera-style JPEG: APP1 `Exif` (with GPS) right after SOI.
fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 90)
        .write_image(&gradient(width, height), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    let payload = [b"Exif\0\0".as_slice(), &exif_with_gps()].concat();
    let length = (payload.len() + 2) as u16;
    [&plain[..2], &[0xFF, 0xE1], &length.to_be_bytes(), &payload, &plain[2..]].concat()
}

/// A PNG with an eXIf chunk (GPS) and a tEXt chunk.
fn png_with_gps(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.add_text_chunk("Comment".into(), String::from_utf8(GPS_TEXT.to_vec()).unwrap()).unwrap();
    let mut writer = encoder.write_header().unwrap();
    writer.write_chunk(png::chunk::eXIf, &exif_with_gps()).unwrap();
    writer.write_image_data(gradient(width, height).as_raw()).unwrap();
    writer.finish().unwrap();
    out
}

#[tokio::test]
async fn gps_data_in_an_uploaded_jpeg_or_png_is_never_served() {
    let (app, partner) = logged_in_with_partner().await;
    let jpeg = jpeg_with_gps(40, 30);
    let png = png_with_gps(24, 12);
    assert!(contains(&jpeg, b"Exif") && contains(&jpeg, GPS_TEXT));
    assert!(contains(&png, b"eXIf") && contains(&png, GPS_TEXT));

    for (upload_bytes, file_name, size) in [(jpeg, "photo.jpg", (40, 30)), (png, "logo.png", (24, 12))] {
        let r = upload(&app, partner, upload_bytes, file_name).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{file_name}");

        let (content_type, served) = served_logo(&app, &format!("/settings/partners/{partner}/logo")).await;
        assert_eq!(content_type, "image/png", "{file_name}");
        for marker in [b"Exif".as_slice(), b"eXIf", b"tEXt", b"MM\x00\x2A", GPS_TEXT, b"52.3676"] {
            assert!(!contains(&served, marker), "{file_name} served {}", String::from_utf8_lossy(marker));
        }
        assert_eq!(decode_png(&served).dimensions(), size, "{file_name}");
        assert_eq!(stored_type_and_size(&app, partner), ("image/png".to_string(), size.0 as i32, size.1 as i32));
    }
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.logo_changed", "partner.logo_changed"]);
}

#[tokio::test]
async fn bytes_hidden_after_a_png_s_end_are_not_stored_or_served() {
    // Accepted rather than refused: the image itself is whole, and what follows IEND is simply
    // not part of what the portal writes back.
    let (app, partner) = logged_in_with_partner().await;
    let payload = b"<html><script>alert(document.cookie)</script></html>";
    let polyglot = [sample_png(32, 32).as_slice(), payload].concat();

    assert_eq!(upload(&app, partner, polyglot, "logo.png").await.status(), StatusCode::SEE_OTHER);

    let (content_type, served) = served_logo(&app, &format!("/settings/partners/{partner}/logo")).await;
    assert_eq!(content_type, "image/png");
    assert!(!contains(&served, b"<script>") && !contains(&served, b"<html>"));
    assert_eq!(served, sample_png(32, 32));
    assert_eq!(decode_png(&served).dimensions(), (32, 32));
}

#[tokio::test]
async fn files_with_a_header_but_no_image_are_refused_as_damaged() {
    let (app, partner) = logged_in_with_partner().await;
    // SOI, a frame header for 40×40 (8-bit, one component), EOI: no tables, no scan.
    let jpeg_header = b"\xFF\xD8\xFF\xC0\x00\x0B\x08\x00\x28\x00\x28\x01\x01\x11\x00\xFF\xD9".to_vec();
    // RIFF + a VP8X chunk for a 16×16 canvas, and no VP8/VP8L image chunk.
    let mut vp8x_only = b"RIFF\x16\x00\x00\x00WEBPVP8X\x0A\x00\x00\x00".to_vec();
    vp8x_only.extend_from_slice(&[0, 0, 0, 0, 15, 0, 0, 15, 0, 0]);
    // A PNG's signature, IHDR for 16×16 and IEND, no IDAT.
    let png_header = png_header_only(16, 16);

    for (bytes, file_name) in [(jpeg_header, "logo.jpg"), (vp8x_only, "logo.webp"), (png_header, "logo.png")] {
        let r = upload(&app, partner, bytes, file_name).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{file_name}");
        assert_eq!(Page::read(r).await.text("#logo-error").as_deref(), Some(DAMAGED), "{file_name}");
    }
    assert!(logo_of(&mut app.conn(), partner).is_none());
    assert!(audit_actions(&mut app.conn(), partner).is_empty());
}

#[tokio::test]
async fn a_30000_by_30000_png_header_is_refused_by_its_dimensions_before_decoding() {
    let (app, partner) = logged_in_with_partner().await;
    // 45 bytes declaring 900 megapixels: decoding it would need 2.7 GB; only the header is read.
    let bomb = png_header_only(30_000, 30_000);
    assert!(bomb.len() < 100);

    let r = upload(&app, partner, bomb, "logo.png").await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text("#logo-error").as_deref(),
        Some("The logo is too large in pixels (30000×30000); use at most 4096 pixels on each side.")
    );
    assert!(logo_of(&mut app.conn(), partner).is_none());
}

#[tokio::test]
async fn a_2000_by_1000_logo_chosen_in_the_wizard_is_stored_as_a_512_by_256_png() {
    let app = TestApp::spawn().await;
    app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let t = token(&app).await;
    let r =
        app.client.post(app.url("/settings/partners/drafts")).form(&[("csrf_token", t.as_str())]).send().await.unwrap();
    let draft = location(&r).rsplit_once('/').unwrap().0.to_string();
    let form = multipart::Form::new()
        .text("csrf_token", token(&app).await)
        .text("name", "Globex Corporation")
        .part("logo", multipart::Part::bytes(sample_png(2000, 1000)).file_name("wide.png"));

    let r = app.client.post(app.url(&format!("{draft}/info"))).multipart(form).send().await.unwrap();

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (content_type, served) = served_logo(&app, &format!("{draft}/logo")).await;
    assert_eq!(content_type, "image/png");
    let image = decode_png(&served);
    assert_eq!(image.dimensions(), (512, 256));
    assert_eq!(image.to_rgb8().get_pixel(300, 100), &Rgb([0x2B, 0x6C, 0xB0]), "still the same calm blue");
    use schema::partner_drafts::dsl as d;
    let stored: (Option<String>, Option<i32>, Option<i32>) =
        d::partner_drafts.select((d::logo_content_type, d::logo_width, d::logo_height)).first(&mut app.conn()).unwrap();
    assert_eq!(stored, (Some("image/png".into()), Some(512), Some(256)));
}
