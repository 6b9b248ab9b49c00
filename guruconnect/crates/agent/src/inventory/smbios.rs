//! Reads the maker, model and serial number out of a raw SMBIOS table (the System Information
//! structure, type 1), as Windows hands it out through GetSystemFirmwareTable('RSMB'). Plain
//! Rust over bytes, so it is tested everywhere; malformed tables give empty fields, never a
//! panic.

/// What the firmware says about the machine; empty where it says nothing useful.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemInfo {
    pub manufacturer: String,
    pub product: String,
    pub serial: String,
}

const SYSTEM_INFORMATION: u8 = 1;
const END_OF_TABLE: u8 = 127;
/// Offsets of the string numbers inside the type-1 structure (SMBIOS 2.0 and later).
const MANUFACTURER: usize = 4;
const PRODUCT: usize = 5;
const SERIAL: usize = 7;

/// Vendors' placeholders for "not set", which say nothing about the machine.
const PLACEHOLDERS: &[&str] = &[
    "to be filled by o.e.m.",
    "default string",
    "system serial number",
    "system manufacturer",
    "system product name",
    "not specified",
    "not applicable",
    "none",
    "0",
    "0123456789",
];

/// Parses the structure table that follows Windows' 8-byte RawSMBIOSData header.
pub fn from_raw_smbios_data(buffer: &[u8]) -> SystemInfo {
    // Header: calling method, major, minor, DMI revision (1 byte each), table length (u32 LE).
    let Some(length) = buffer.get(4..8) else {
        return SystemInfo::default();
    };
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    let table = buffer.get(8..).unwrap_or_default();
    system_info(&table[..length.min(table.len())])
}

/// Walks a structure table (as in /sys/firmware/dmi/tables/DMI) to the first type-1 entry.
pub fn system_info(mut table: &[u8]) -> SystemInfo {
    while let Some(&[kind, formatted_len, ..]) = table.get(..2) {
        let formatted_len = usize::from(formatted_len);
        if formatted_len < 4 || formatted_len > table.len() {
            break;
        }
        let (formatted, rest) = table.split_at(formatted_len);
        let strings_len = strings_area_len(rest);
        let strings = &rest[..strings_len.min(rest.len())];
        if kind == SYSTEM_INFORMATION {
            let field = |offset: usize| {
                formatted
                    .get(offset)
                    .map(|&n| meaningful(string_number(strings, n)))
                    .unwrap_or_default()
            };
            return SystemInfo {
                manufacturer: field(MANUFACTURER),
                product: field(PRODUCT),
                serial: field(SERIAL),
            };
        }
        if kind == END_OF_TABLE {
            break;
        }
        table = rest.get(strings_len..).unwrap_or_default();
    }
    SystemInfo::default()
}

/// Length of a structure's string set, including the double NUL that ends it.
fn strings_area_len(area: &[u8]) -> usize {
    area.windows(2)
        .position(|pair| pair == [0, 0])
        .map_or(area.len(), |end| end + 2)
}

/// String `n` (1-based; 0 means none) of a string set.
fn string_number(strings: &[u8], n: u8) -> String {
    if n == 0 {
        return String::new();
    }
    strings
        .split(|&b| b == 0)
        .nth(usize::from(n) - 1)
        .map(|s| String::from_utf8_lossy(s).trim().to_owned())
        .unwrap_or_default()
}

fn meaningful(value: String) -> String {
    if PLACEHOLDERS.contains(&value.to_ascii_lowercase().as_str()) {
        String::new()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One structure: its formatted part (header included) and its strings.
    fn structure(kind: u8, fields: &[u8], strings: &[&str]) -> Vec<u8> {
        let mut bytes = vec![kind, 4 + fields.len() as u8, 0x01, 0x00];
        bytes.extend_from_slice(fields);
        for s in strings {
            bytes.extend_from_slice(s.as_bytes());
            bytes.push(0);
        }
        if strings.is_empty() {
            bytes.push(0);
        }
        bytes.push(0);
        bytes
    }

    fn with_header(table: &[u8]) -> Vec<u8> {
        let mut raw = vec![0, 3, 4, 0];
        raw.extend_from_slice(&(table.len() as u32).to_le_bytes());
        raw.extend_from_slice(table);
        raw
    }

    fn sample_table(serial: &str) -> Vec<u8> {
        let mut table = structure(0, &[1, 2, 0, 0], &["Acme BIOS", "1.2.3"]);
        // Type 1: manufacturer = 1, product = 2, version = 3, serial = 4, then UUID bytes.
        let mut fields = vec![1, 2, 3, 4];
        fields.extend_from_slice(&[0xaa; 16]);
        table.extend(structure(
            1,
            &fields,
            &["Dell Inc.", "OptiPlex 7090", "1.0", serial],
        ));
        table.extend(structure(127, &[], &[]));
        table
    }

    #[test]
    fn reads_maker_model_and_serial_after_other_structures() {
        let info = from_raw_smbios_data(&with_header(&sample_table("7XK2M53")));
        assert_eq!(
            info,
            SystemInfo {
                manufacturer: "Dell Inc.".into(),
                product: "OptiPlex 7090".into(),
                serial: "7XK2M53".into(),
            }
        );
    }

    #[test]
    fn vendor_placeholders_count_as_unknown() {
        let info = from_raw_smbios_data(&with_header(&sample_table("To Be Filled By O.E.M.")));
        assert_eq!(info.serial, "");
        assert_eq!(info.manufacturer, "Dell Inc.");
    }

    #[test]
    fn a_table_without_system_information_gives_nothing() {
        let mut table = structure(0, &[1, 2], &["BIOS", "1"]);
        table.extend(structure(127, &[], &[]));
        assert_eq!(system_info(&table), SystemInfo::default());
    }

    #[test]
    fn malformed_tables_never_panic() {
        let good = with_header(&sample_table("SN1"));
        for cut in 0..good.len() {
            let _ = from_raw_smbios_data(&good[..cut]);
        }
        // A string number past the end, a formatted length of 0 and a huge one.
        let mut fields = vec![9, 9, 9, 9];
        fields.extend_from_slice(&[0; 16]);
        let _ = system_info(&structure(1, &fields, &["only one"]));
        let _ = system_info(&[1, 0, 0, 0]);
        let _ = system_info(&[1, 255, 0, 0, 0, 0]);
        let mut header = with_header(&sample_table("SN1"));
        header[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(from_raw_smbios_data(&header).serial, "SN1");
    }
}
