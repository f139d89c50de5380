//! The one clock of a build. `SOURCE_DATE_EPOCH` pins it (reproducible builds, tests); otherwise
//! it is the system time. Only certificate validity and renewal read it.

use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub now: OffsetDateTime,
}

impl Clock {
    /// From `SOURCE_DATE_EPOCH` when set and valid, else the system clock.
    pub fn from_env() -> Clock {
        let pinned = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
        match pinned.and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok()) {
            Some(now) => Clock { now },
            None => Clock { now: OffsetDateTime::now_utc() },
        }
    }

    pub fn at(unix_seconds: i64) -> Clock {
        Clock { now: OffsetDateTime::from_unix_timestamp(unix_seconds).expect("valid timestamp") }
    }
}
