//! Small textual value types: MAC addresses, DNS labels, absolute paths, `HOST:PORT`, URLs.

use std::fmt;

/// A MAC address, stored lower-case as `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses six colon- or dash-separated hex octets.
    pub fn parse(text: &str) -> Result<Mac, String> {
        let error = || format!("`{text}` is not a MAC address such as \"1c:83:41:30:aa:aa\"");
        let parts: Vec<&str> = text.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(error());
        }
        let mut octets = [0u8; 6];
        for (octet, part) in octets.iter_mut().zip(parts) {
            if part.len() != 2 {
                return Err(error());
            }
            *octet = u8::from_str_radix(part, 16).map_err(|_| error())?;
        }
        Ok(Mac(octets))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// Why `name` is not an RFC 1123 DNS label (lower-case alphanumerics and `-`, ≤ 63, no edge `-`).
pub fn dns_label_error(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 63 {
        return Some(format!("`{name}` must be 1 to 63 characters long"));
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Some(format!("`{name}` may contain only lower-case letters, digits and `-`"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some(format!("`{name}` must not start or end with `-`"));
    }
    None
}

/// Why `name` is not a DNS name made of labels (e.g. `k8s.home.arpa`).
pub fn dns_name_error(name: &str) -> Option<String> {
    if name.len() > 253 {
        return Some(format!("`{name}` is longer than 253 characters"));
    }
    name.split('.').find_map(dns_label_error)
}

/// Why `path` is not an absolute, normalised POSIX path.
pub fn absolute_path_error(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some(format!("`{path}` must be an absolute path starting with `/`"));
    }
    if path.split('/').any(|part| part == "." || part == "..") || path.contains("//") {
        return Some(format!("`{path}` must not contain `.`, `..` or `//`"));
    }
    None
}

/// A registry address `HOST:PORT` (or a bare `HOST`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    pub host: String,
    pub port: Option<u16>,
}

impl HostPort {
    pub fn parse(text: &str) -> Result<HostPort, String> {
        let error = |why: String| format!("`{text}` is not HOST:PORT: {why}");
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port.parse::<u16>().map_err(|_| error(format!("bad port `{port}`")))?)),
            None => (text, None),
        };
        if host.parse::<std::net::Ipv4Addr>().is_err() {
            if let Some(why) = dns_name_error(host) {
                return Err(error(why));
            }
        }
        Ok(HostPort { host: host.to_string(), port })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Checks that `url` has one of `schemes` and a host; returns why not.
pub fn url_error(url: &str, schemes: &[&str]) -> Option<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(format!("`{url}` is not a URL (expected {})", schemes.join(" or ")));
    };
    if !schemes.contains(&scheme) {
        return Some(format!("`{url}` uses `{scheme}://`; expected {}", schemes.join(" or ")));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Some(format!("`{url}` has no host"));
    }
    None
}

/// Why `url` cannot be an apt source or key URL (`http`/`https`, no credentials, query or
/// fragment: they would be written into a public file and apt cannot use them), if it cannot.
pub fn apt_url_error(url: &str) -> Option<String> {
    if let Some(error) = url_error(url, &["http", "https"]) {
        return Some(error);
    }
    let authority = url.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    if authority.contains('@') {
        return Some(format!("`{url}` carries credentials, which would be written into every node's public files"));
    }
    if url.contains(['?', '#', ' ']) {
        return Some(format!("`{url}` has a query, fragment or space: apt appends paths to it"));
    }
    None
}

/// Why `version` is not a chart version hlc can pin (one exact version, no range), if it is not.
pub fn chart_version_error(version: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+');
    let starts = version.trim_start_matches('v').starts_with(|c: char| c.is_ascii_digit());
    (!starts || !version.chars().all(allowed)).then(|| {
        format!("`{version}` is not one exact chart version such as \"1.20.1\" or \"v3.31.7\" (ranges would let the cluster drift)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apt_urls_and_chart_versions() {
        assert_eq!(apt_url_error("http://apt.home.arpa:3142/HTTPS///pkgs.k8s.io"), None);
        for bad in ["ssh://acng", "https://user:pw@acng:3142", "http://acng?x=1", "ftp://x"] {
            assert!(apt_url_error(bad).is_some(), "{bad}");
        }
        for good in ["1.20.1", "v3.31.7", "4.15.1-rc.1+build.2"] {
            assert_eq!(chart_version_error(good), None, "{good}");
        }
        for bad in ["", ">=1.2", "1.x || 2", "3.31.8 $(id)", "latest"] {
            assert!(chart_version_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn mac_normalises_case_and_separator() {
        assert_eq!(Mac::parse("1C-83-41-30-AA-aa").unwrap().to_string(), "1c:83:41:30:aa:aa");
        assert!(Mac::parse("1c:83:41:30:aa").is_err());
        assert!(Mac::parse("1c:83:41:30:aa:zz").is_err());
    }

    #[test]
    fn dns_labels() {
        assert!(dns_label_error("node-1").is_none());
        assert!(dns_label_error("Node1").is_some());
        assert!(dns_label_error("-a").is_some());
        assert!(dns_label_error(&"a".repeat(64)).is_some());
        assert!(dns_name_error("k8s.home.arpa").is_none());
        assert!(dns_name_error("k8s..arpa").is_some());
    }

    #[test]
    fn host_port_and_urls() {
        assert_eq!(HostPort::parse("registry.home.arpa:5005").unwrap().port, Some(5005));
        assert!(HostPort::parse("registry:99999").is_err());
        assert!(url_error("https://oidc.example.com/dex", &["https"]).is_none());
        assert!(url_error("http://oidc.example.com", &["https"]).is_some());
        assert!(url_error("https:///x", &["https"]).is_some());
    }
}
