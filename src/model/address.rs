//! IPv4 address types of the language: addresses, CIDRs (`ipnet`), and inclusive ranges `A-B`.

use std::fmt;
use std::net::Ipv4Addr;

pub use ipnet::Ipv4Net as Cidr;

/// Parses a dotted-quad IPv4 address.
pub fn parse_ip(text: &str) -> Result<Ipv4Addr, String> {
    text.parse().map_err(|_| format!("`{text}` is not an IPv4 address"))
}

/// Parses `A.B.C.D/N`, rejecting host bits (a CIDR names a network, not an address in it).
pub fn parse_cidr(text: &str) -> Result<Cidr, String> {
    let net: Cidr = text.parse().map_err(|_| format!("`{text}` is not an IPv4 CIDR such as 192.168.1.0/24"))?;
    if net.trunc() != net {
        return Err(format!("`{text}` has host bits set; the network is {}", net.trunc()));
    }
    Ok(net)
}

/// An inclusive range of IPv4 addresses. `start <= end` is checked, not assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressRange {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
}

impl AddressRange {
    /// Parses `A-B`; with `allow_cidr`, a CIDR also denotes the range of all its addresses.
    pub fn parse(text: &str, allow_cidr: bool) -> Result<AddressRange, String> {
        if let Some((start, end)) = text.split_once('-') {
            let start = parse_ip(start.trim())?;
            let end = parse_ip(end.trim())?;
            return Ok(AddressRange { start, end });
        }
        if allow_cidr && text.contains('/') {
            let net = parse_cidr(text)?;
            return Ok(AddressRange { start: net.network(), end: net.broadcast() });
        }
        let expected = if allow_cidr { "`A-B` or a CIDR" } else { "`A-B`" };
        Err(format!("`{text}` is not an address range; expected {expected}"))
    }

    pub fn is_ordered(&self) -> bool {
        self.start <= self.end
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.start <= ip && ip <= self.end
    }

    pub fn overlaps(&self, other: &AddressRange) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// Whether the whole range lies inside `net`.
    pub fn within(&self, net: &Cidr) -> bool {
        net.contains(&self.start) && net.contains(&self.end)
    }

    /// How many addresses the range holds.
    pub fn address_count(&self) -> u64 {
        u64::from(u32::from(self.end)).saturating_sub(u64::from(u32::from(self.start))) + 1
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Whether two networks share any address.
pub fn cidrs_overlap(a: &Cidr, b: &Cidr) -> bool {
    a.contains(b) || b.contains(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_with_host_bits_is_rejected() {
        assert!(parse_cidr("192.168.1.5/24").unwrap_err().contains("192.168.1.0/24"));
        assert_eq!(parse_cidr("10.96.0.0/12").unwrap().prefix_len(), 12);
    }

    #[test]
    fn range_parses_dash_and_cidr() {
        let r = AddressRange::parse("10.0.0.5-10.0.0.9", false).unwrap();
        assert_eq!(r.address_count(), 5);
        assert!(r.contains("10.0.0.7".parse().unwrap()) && !r.contains("10.0.0.10".parse().unwrap()));
        assert!(AddressRange::parse("10.0.0.0/30", false).is_err());
        let c = AddressRange::parse("10.0.0.0/30", true).unwrap();
        assert_eq!((c.start, c.end), ("10.0.0.0".parse().unwrap(), "10.0.0.3".parse().unwrap()));
    }

    #[test]
    fn overlap_is_symmetric_and_inclusive() {
        let a = AddressRange::parse("10.0.0.1-10.0.0.5", false).unwrap();
        let b = AddressRange::parse("10.0.0.5-10.0.0.9", false).unwrap();
        let c = AddressRange::parse("10.0.0.6-10.0.0.9", false).unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
    }

    #[test]
    fn nested_cidrs_overlap() {
        let a = parse_cidr("10.0.0.0/8").unwrap();
        let b = parse_cidr("10.96.0.0/12").unwrap();
        let c = parse_cidr("192.168.0.0/16").unwrap();
        assert!(cidrs_overlap(&a, &b) && cidrs_overlap(&b, &a) && !cidrs_overlap(&a, &c));
    }
}
