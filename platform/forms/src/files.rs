//! Attachments: the type is read from the content (never from the name or the browser's claim),
//! and images lose their metadata (EXIF with GPS position and camera, XMP, comments, text chunks)
//! before they are stored. A photo's orientation stays: a phone records it in EXIF instead of
//! turning the pixels, and staff would see documents on their side without it.

use crate::schema::FileType;

/// The type of a file by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else {
        None
    }
}

/// Why a file could not be cleaned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CleanError {
    #[error("the image is damaged or truncated")]
    Damaged,
}

/// Returns the file without metadata: JPEG APPn segments other than JFIF/Adobe colour information and
/// COM segments are dropped, an EXIF segment is replaced by one holding the orientation alone (when
/// it is not the default); PNG ancillary text, time and EXIF chunks are dropped. PDFs are returned
/// as they are.
pub fn strip_metadata(kind: FileType, bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    match kind {
        FileType::Pdf => Ok(bytes.to_vec()),
        FileType::Png => strip_png(bytes),
        FileType::Jpeg => strip_jpeg(bytes),
    }
}

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    const DROP: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"];
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..8).ok_or(CleanError::Damaged)?);
    let mut pos = 8;
    loop {
        let header = bytes.get(pos..pos + 8).ok_or(CleanError::Damaged)?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = pos.checked_add(12).and_then(|p| p.checked_add(len)).ok_or(CleanError::Damaged)?;
        let chunk = bytes.get(pos..end).ok_or(CleanError::Damaged)?;
        let kind = &header[4..8];
        if !DROP.iter().any(|d| d.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        pos = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..2).ok_or(CleanError::Damaged)?);
    let mut pos = 2;
    loop {
        // markers may be padded with 0xFF
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos + 1).ok_or(CleanError::Damaged)?;
        if bytes.get(pos) != Some(&0xFF) {
            return Err(CleanError::Damaged);
        }
        if marker == 0xD9 {
            out.extend_from_slice(&[0xFF, 0xD9]);
            return Ok(out);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            out.extend_from_slice(&[0xFF, marker]);
            pos += 2;
            continue;
        }
        let len_bytes = bytes.get(pos + 2..pos + 4).ok_or(CleanError::Damaged)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(CleanError::Damaged);
        }
        let end = pos + 2 + len;
        let segment = bytes.get(pos..end).ok_or(CleanError::Damaged)?;
        if marker == 0xDA {
            // start of scan: the entropy-coded data up to the end follows; keep all of it
            out.extend_from_slice(&bytes[pos..]);
            return Ok(out);
        }
        let payload = &segment[4..];
        if marker == 0xE1
            && let Some(tiff) = payload.strip_prefix(b"Exif\0\0")
            && let Some(orientation) = orientation_only(tiff)
        {
            out.extend_from_slice(&orientation);
            pos = end;
            continue;
        }
        let keep = match marker {
            0xE0 => payload.starts_with(b"JFIF\0"),
            0xEE => payload.starts_with(b"Adobe"),
            0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
            0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            out.extend_from_slice(segment);
        }
        pos = end;
    }
}

/// An APP1 segment with EXIF holding nothing but the orientation the given EXIF (TIFF data, at
/// most 64 KB: a segment's length) names, when it names one other than "as stored" (1). Read and
/// written by `kamadak-exif`.
fn orientation_only(tiff: &[u8]) -> Option<Vec<u8>> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let value = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?.value.get_uint(0)?;
    if !(2..=8).contains(&value) {
        return None;
    }
    let field = exif::Field {
        tag: exif::Tag::Orientation,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Short(vec![u16::try_from(value).ok()?]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut written = std::io::Cursor::new(Vec::new());
    writer.write(&mut written, exif.little_endian()).ok()?;
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&written.into_inner());
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&u16::try_from(payload.len() + 2).ok()?.to_be_bytes());
    segment.extend_from_slice(&payload);
    Some(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn png_text_chunks_are_dropped() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(png_chunk(b"IHDR", &[0; 13]));
        png.extend(png_chunk(b"tEXt", b"Author\0Erika Mustermann"));
        png.extend(png_chunk(b"eXIf", b"MM\0*GPS"));
        png.extend(png_chunk(b"IDAT", &[1, 2, 3]));
        png.extend(png_chunk(b"IEND", &[]));
        let clean = strip_metadata(FileType::Png, &png).expect("clean");
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("Erika") && !text.contains("GPS"), "{text}");
        assert!(text.contains("IHDR") && text.contains("IDAT") && text.contains("IEND"));
    }

    #[test]
    fn jpeg_exif_and_comments_are_dropped() {
        let mut jpg = vec![0xFF, 0xD8];
        let seg = |m: u8, p: &[u8]| {
            let mut s = vec![0xFF, m];
            s.extend_from_slice(&((p.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(p);
            s
        };
        jpg.extend(seg(0xE0, b"JFIF\0\x01\x01"));
        jpg.extend(seg(0xE1, b"Exif\0\0GPSLatitude 49.44"));
        jpg.extend(seg(0xFE, b"made by Erika"));
        jpg.extend(seg(0xDB, &[0; 65]));
        jpg.extend(seg(0xDA, &[0; 10]));
        jpg.extend([0x12, 0x34, 0xFF, 0xD9]);
        let clean = strip_metadata(FileType::Jpeg, &jpg).expect("clean");
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("GPS") && !text.contains("Erika"));
        assert!(text.contains("JFIF"));
        assert!(clean.ends_with(&[0x12, 0x34, 0xFF, 0xD9]));
        assert_eq!(sniff(&clean), Some(FileType::Jpeg));
    }

    /// EXIF (big-endian TIFF) with the orientation, a camera model and a GPS latitude, written by
    /// `kamadak-exif` as a phone would write them.
    fn phone_exif(orientation: u16) -> Vec<u8> {
        let fields = [
            exif::Field {
                tag: exif::Tag::Orientation,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Short(vec![orientation]),
            },
            exif::Field {
                tag: exif::Tag::Model,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Ascii(vec![b"Erikas Telefon".to_vec()]),
            },
            exif::Field {
                tag: exif::Tag::GPSLatitudeRef,
                ifd_num: exif::In::PRIMARY,
                value: exif::Value::Ascii(vec![b"N".to_vec()]),
            },
        ];
        let mut w = exif::experimental::Writer::new();
        for f in &fields {
            w.push_field(f);
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        w.write(&mut buf, false).expect("exif");
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&buf.into_inner());
        payload
    }

    #[test]
    fn a_photo_keeps_its_orientation_in_all_eight_and_loses_everything_else() {
        let seg = |m: u8, p: &[u8]| {
            let mut s = vec![0xFF, m];
            s.extend_from_slice(&((p.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(p);
            s
        };
        for orientation in 1..=8u16 {
            let mut jpg = vec![0xFF, 0xD8];
            jpg.extend(seg(0xE1, &phone_exif(orientation)));
            jpg.extend(seg(0xDB, &[0; 65]));
            jpg.extend(seg(0xDA, &[0; 10]));
            jpg.extend([0x12, 0x34, 0xFF, 0xD9]);
            let clean = strip_metadata(FileType::Jpeg, &jpg).expect("clean");
            let text = String::from_utf8_lossy(&clean);
            assert!(!text.contains("Erikas Telefon"), "{orientation}: the camera is gone");
            // read back from the cleaned file by the crate's JPEG reader, as a viewer would
            let read = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&clean));
            match orientation {
                // "as stored" needs no EXIF at all
                1 => assert!(read.is_err(), "no EXIF left for the default orientation"),
                _ => {
                    let read = read.expect("EXIF with the orientation");
                    let fields: Vec<exif::Tag> = read.fields().map(|f| f.tag).collect();
                    assert_eq!(fields, vec![exif::Tag::Orientation], "{orientation}: nothing but the orientation");
                    assert_eq!(
                        read.get_field(exif::Tag::Orientation, exif::In::PRIMARY).and_then(|f| f.value.get_uint(0)),
                        Some(u32::from(orientation))
                    );
                }
            }
            assert!(clean.ends_with(&[0x12, 0x34, 0xFF, 0xD9]), "the picture itself is untouched");
        }
        // an EXIF segment that cannot be read is dropped as before
        let mut jpg = vec![0xFF, 0xD8];
        jpg.extend(seg(0xE1, b"Exif\0\0MM\0*\0\0\0\x08\xff\xff"));
        jpg.extend(seg(0xDA, &[0; 4]));
        jpg.extend([0xFF, 0xD9]);
        let clean = strip_metadata(FileType::Jpeg, &jpg).expect("clean");
        assert!(!clean.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn damaged_images_are_refused_and_names_do_not_count() {
        assert_eq!(strip_metadata(FileType::Png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"), Err(CleanError::Damaged));
        assert_eq!(strip_metadata(FileType::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF]), Err(CleanError::Damaged));
        assert_eq!(sniff(b"MZ\x90\0 this is an exe called photo.jpg"), None);
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
    }
}
