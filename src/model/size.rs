//! Byte sizes written as `"16GiB"` (binary) or `"250GB"` (decimal).

use std::fmt;

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

const UNITS: &[(&str, u64)] = &[
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("B", 1),
];

impl ByteSize {
    /// Parses an integer followed by a unit (`B`, `KB`…`TB`, `KiB`…`TiB`).
    pub fn parse(text: &str) -> Result<ByteSize, String> {
        let error = || format!("`{text}` is not a size; write a whole number and a unit, e.g. \"16GiB\" or \"250GB\"");
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(error)?;
        let (number, unit) = text.split_at(digits_end);
        let number: u64 = number.parse().map_err(|_| error())?;
        let (_, factor) = UNITS.iter().find(|(name, _)| *name == unit.trim()).ok_or_else(error)?;
        number.checked_mul(*factor).map(ByteSize).ok_or_else(error)
    }

    pub fn bytes(self) -> u64 {
        self.0
    }

    /// Kubernetes quantity form (`4Gi`, `250G`): the exact unit with the smallest mantissa.
    pub fn to_quantity(self) -> String {
        const SUFFIXES: &[(&str, u64)] = &[
            ("Ti", 1 << 40),
            ("T", 1_000_000_000_000),
            ("Gi", 1 << 30),
            ("G", 1_000_000_000),
            ("Mi", 1 << 20),
            ("M", 1_000_000),
            ("Ki", 1 << 10),
            ("k", 1_000),
        ];
        SUFFIXES
            .iter()
            .filter(|(_, factor)| self.0 >= *factor && self.0 % factor == 0)
            .min_by_key(|(_, factor)| self.0 / factor)
            .map_or_else(|| self.0.to_string(), |(suffix, factor)| format!("{}{suffix}", self.0 / factor))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quantity = self.to_quantity().replace('k', "K");
        write!(f, "{quantity}B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_decimal_units() {
        assert_eq!(ByteSize::parse("16GiB").unwrap().bytes(), 16 * 1024 * 1024 * 1024);
        assert_eq!(ByteSize::parse("250GB").unwrap().bytes(), 250_000_000_000);
        assert_eq!(ByteSize::parse("512B").unwrap().bytes(), 512);
    }

    #[test]
    fn malformed_sizes_are_rejected() {
        for bad in ["", "GiB", "16", "16gib", "1.5GiB", "-1GiB", "99999999999999TiB"] {
            assert!(ByteSize::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn quantities_round_trip() {
        assert_eq!(ByteSize::parse("2GiB").unwrap().to_quantity(), "2Gi");
        assert_eq!(ByteSize::parse("250GB").unwrap().to_quantity(), "250G");
        assert_eq!(ByteSize::parse("2GiB").unwrap().to_string(), "2GiB");
        assert_eq!(ByteSize::parse("1536MiB").unwrap().to_quantity(), "1536Mi");
        assert_eq!(ByteSize::parse("1000B").unwrap().to_quantity(), "1k");
        assert_eq!(ByteSize::parse("7B").unwrap().to_quantity(), "7");
    }
}
