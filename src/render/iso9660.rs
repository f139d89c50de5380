//! A small ISO 9660 writer for the subset a NoCloud `cidata` image needs: one root directory of a
//! few regular files, with a Joliet supplementary volume descriptor so Linux (and cloud-init)
//! sees the files' real names (`user-data`, `meta-data`, `network-config`). No crate writes ISO
//! 9660 deterministically and stably today (hadris-iso is a release candidate), and the subset is
//! small: this is ECMA-119 with Joliet (UCS-2 level 3), nothing else.
//!
//! Layout, in 2048-byte sectors: 0–15 system area (zero), 16 primary volume descriptor, 17 Joliet
//! supplementary descriptor, 18 terminator, 19–22 path tables (primary L/M, Joliet L/M), 23 the
//! primary root directory, 24 the Joliet root directory, then each file's data from a sector
//! boundary (both hierarchies point at the same extents). Every date is fixed (2000-01-01
//! 00:00:00 UTC), so the same files give the same bytes.

const SECTOR: usize = 2048;
const PRIMARY_DESCRIPTOR: usize = 16;
const PATH_TABLES: usize = 19;
const PRIMARY_ROOT: usize = 23;
const JOLIET_ROOT: usize = 24;
const FIRST_FILE: usize = 25;
/// The fixed recording date of directory records: years since 1900, month, day, h, m, s, zone.
const RECORD_DATE: [u8; 7] = [100, 1, 1, 0, 0, 0, 0];
/// The fixed volume dates: `YYYYMMDDHHMMSScc` and a zone byte.
const VOLUME_DATE: &[u8; 17] = b"2000010100000000\0";

/// Writes an ISO 9660 image labelled `label` holding `files` (name, bytes) in its root. Names
/// are kept as given in the Joliet tree and upper-cased with `-` → `_` in the primary one.
pub fn image(label: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut sorted: Vec<(&str, &[u8])> = files.to_vec();
    sorted.sort_by_key(|(name, _)| *name);
    let mut extents = Vec::new();
    let mut next = FIRST_FILE;
    for (_, bytes) in &sorted {
        extents.push((next, bytes.len()));
        next += bytes.len().div_ceil(SECTOR).max(1);
    }
    let total = next;
    let mut image = vec![0u8; total * SECTOR];
    let primary = Hierarchy { joliet: false, root: PRIMARY_ROOT, path_table: PATH_TABLES };
    let joliet = Hierarchy { joliet: true, root: JOLIET_ROOT, path_table: PATH_TABLES + 2 };
    for (index, hierarchy) in [primary, joliet].iter().enumerate() {
        let descriptor = volume_descriptor(hierarchy, label, total);
        put(&mut image, PRIMARY_DESCRIPTOR + index, &descriptor);
        put(&mut image, hierarchy.path_table, &path_table(hierarchy.root, false));
        put(&mut image, hierarchy.path_table + 1, &path_table(hierarchy.root, true));
        let names: Vec<String> = sorted.iter().map(|(name, _)| hierarchy.file_name(name)).collect();
        let mut entries: Vec<(&String, (usize, usize))> = names.iter().zip(extents.iter().copied()).collect();
        if !hierarchy.joliet {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        put(&mut image, hierarchy.root, &directory(hierarchy, &entries));
    }
    let mut terminator = vec![255u8];
    terminator.extend(b"CD001\x01");
    put(&mut image, PRIMARY_DESCRIPTOR + 2, &terminator);
    for ((_, bytes), (sector, _)) in sorted.iter().zip(&extents) {
        image[sector * SECTOR..sector * SECTOR + bytes.len()].copy_from_slice(bytes);
    }
    image
}

/// One of the two directory hierarchies: the primary (d-characters) or Joliet (UCS-2).
struct Hierarchy {
    joliet: bool,
    root: usize,
    path_table: usize,
}

impl Hierarchy {
    /// The on-disc file identifier: `USER_DATA.;1` or UCS-2 `user-data;1`.
    fn file_name(&self, name: &str) -> String {
        if self.joliet {
            format!("{name};1")
        } else {
            let upper: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
            format!("{upper}.;1")
        }
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        if self.joliet {
            text.encode_utf16().flat_map(u16::to_be_bytes).collect()
        } else {
            text.as_bytes().to_vec()
        }
    }

    /// A fixed-width text field, padded with spaces (UCS-2 spaces for Joliet).
    fn padded(&self, text: &str, width: usize) -> Vec<u8> {
        let mut field = self.encode(text);
        field.truncate(width);
        let pad: &[u8] = if self.joliet { &[0, b' '] } else { b" " };
        while field.len() < width {
            field.extend_from_slice(pad);
        }
        field.truncate(width);
        field
    }
}

fn put(image: &mut [u8], sector: usize, bytes: &[u8]) {
    image[sector * SECTOR..sector * SECTOR + bytes.len()].copy_from_slice(bytes);
}

fn both_u16(value: u16) -> Vec<u8> {
    [value.to_le_bytes(), value.to_be_bytes()].concat()
}

fn both_u32(value: usize) -> Vec<u8> {
    let value = u32::try_from(value).expect("an image under 4 GiB");
    [value.to_le_bytes(), value.to_be_bytes()].concat()
}

/// A directory record: `identifier` is raw bytes (`[0]` for `.`, `[1]` for `..`).
fn record(identifier: &[u8], extent: usize, length: usize, directory: bool) -> Vec<u8> {
    let mut record = vec![0u8, 0];
    record.extend(both_u32(extent));
    record.extend(both_u32(length));
    record.extend(RECORD_DATE);
    record.push(if directory { 2 } else { 0 });
    record.extend([0, 0]);
    record.extend(both_u16(1));
    record.push(u8::try_from(identifier.len()).expect("short names"));
    record.extend(identifier);
    if record.len() % 2 == 1 {
        record.push(0);
    }
    record[0] = u8::try_from(record.len()).expect("records under 256 bytes");
    record
}

/// The root directory: `.`, `..` and one record per file.
fn directory(hierarchy: &Hierarchy, entries: &[(&String, (usize, usize))]) -> Vec<u8> {
    let mut bytes = record(&[0], hierarchy.root, SECTOR, true);
    bytes.extend(record(&[1], hierarchy.root, SECTOR, true));
    for (name, (extent, length)) in entries {
        bytes.extend(record(&hierarchy.encode(name), *extent, *length, false));
    }
    assert!(bytes.len() <= SECTOR, "the root directory fits one sector");
    bytes
}

/// A path table with the root directory only (little- or big-endian extent).
fn path_table(root: usize, big_endian: bool) -> Vec<u8> {
    let extent = u32::try_from(root).expect("small");
    let mut table = vec![1u8, 0];
    table.extend(if big_endian { extent.to_be_bytes() } else { extent.to_le_bytes() });
    table.extend(if big_endian { 1u16.to_be_bytes() } else { 1u16.to_le_bytes() });
    table.extend([0, 0]);
    table
}

/// The primary (type 1) or Joliet supplementary (type 2) volume descriptor.
fn volume_descriptor(hierarchy: &Hierarchy, label: &str, total_sectors: usize) -> Vec<u8> {
    let mut descriptor = vec![if hierarchy.joliet { 2u8 } else { 1 }];
    descriptor.extend(b"CD001\x01\0");
    descriptor.extend(hierarchy.padded("", 32)); // system identifier
    descriptor.extend(hierarchy.padded(label, 32)); // volume identifier
    descriptor.extend([0u8; 8]);
    descriptor.extend(both_u32(total_sectors));
    let mut escape = [0u8; 32];
    if hierarchy.joliet {
        escape[..3].copy_from_slice(b"%/E"); // UCS-2 level 3
    }
    descriptor.extend(escape);
    descriptor.extend(both_u16(1)); // volume set size
    descriptor.extend(both_u16(1)); // volume sequence number
    descriptor.extend(both_u16(u16::try_from(SECTOR).expect("2048")));
    descriptor.extend(both_u32(10)); // path table size: the root entry
    let table = u32::try_from(hierarchy.path_table).expect("small");
    descriptor.extend(table.to_le_bytes());
    descriptor.extend([0u8; 4]);
    descriptor.extend((table + 1).to_be_bytes());
    descriptor.extend([0u8; 4]);
    descriptor.extend(record(&[0], hierarchy.root, SECTOR, true));
    descriptor.extend(hierarchy.padded("", 128)); // volume set
    descriptor.extend(hierarchy.padded("", 128)); // publisher
    descriptor.extend(hierarchy.padded("", 128)); // data preparer
    descriptor.extend(hierarchy.padded("HLC", 128)); // application
    for _ in 0..3 {
        descriptor.extend(hierarchy.padded("", 37)); // copyright, abstract, bibliographic files
    }
    for date in [VOLUME_DATE, VOLUME_DATE, b"0000000000000000\0", VOLUME_DATE] {
        descriptor.extend(date);
    }
    descriptor.push(1); // file structure version
    debug_assert_eq!(descriptor.len(), 882);
    descriptor
}

#[cfg(test)]
mod tests {
    #[test]
    fn layout_and_determinism() {
        let files: [(&str, &[u8]); 2] = [("user-data", b"#cloud-config\n"), ("meta-data", b"{}\n")];
        let image = super::image("cidata", &files);
        assert_eq!(image, super::image("cidata", &files), "deterministic");
        assert_eq!(image.len(), 27 * 2048, "25 sectors of structure, one per file");
        assert_eq!(&image[16 * 2048 + 1..16 * 2048 + 6], b"CD001");
        assert_eq!(&image[16 * 2048 + 40..16 * 2048 + 46], b"cidata");
        assert_eq!(&image[17 * 2048 + 88..17 * 2048 + 91], b"%/E");
        assert_eq!(&image[25 * 2048..25 * 2048 + 3], b"{}\n", "meta-data sorts first");
        assert_eq!(&image[26 * 2048..26 * 2048 + 14], b"#cloud-config\n");
    }
}
