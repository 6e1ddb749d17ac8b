//! `m.room.power_levels`: version-aware validation, then ruma's [`RoomPowerLevels`] for levels.
//!
//! Validation follows the room version: v1–5 accept integers, integer strings and floats
//! (truncated); v6–9 integers and integer strings; v10+ integers only. Anything else is an event
//! a homeserver would have rejected, so it is refused as bad input.

use std::{collections::BTreeMap, fmt};

use js_int::Int;
use ruma_common::{OwnedUserId, UserId};
use ruma_events::room::power_levels::{
    RoomPowerLevels, RoomPowerLevelsEventContent, RoomPowerLevelsSource, UserPowerLevel,
};
use serde::de::Error as _;

use super::{
    error::{Error, ErrorCode, Result},
    json::{self, Scalar},
    version::RoomVersion,
};

/// The effective power levels of a room (with defaults and creators applied).
#[derive(Clone, Debug)]
pub struct PowerLevels {
    inner: RoomPowerLevels,
}

impl PowerLevels {
    /// Levels when the room has no `m.room.power_levels` event.
    pub fn absent(version: &RoomVersion, creators: &[OwnedUserId]) -> Self {
        let inner = RoomPowerLevels::new(
            RoomPowerLevelsSource::None,
            version.rules(),
            creators.to_vec(),
        );
        Self { inner }
    }

    /// Parses and validates `content` of an `m.room.power_levels` event: every level (also in
    /// `events` and `notifications`) must be valid for the room version; the levels the rules
    /// use are kept.
    pub fn parse(content: &str, version: &RoomVersion, creators: &[OwnedUserId]) -> Result<Self> {
        let mut levels = RoomPowerLevelsEventContent::new(version.rules());
        json::read_str(content, |de| read_content(de, version, &mut levels))
            .map_err(|e| invalid(e.to_string()))?;
        let source = RoomPowerLevelsSource::Original(levels);
        Ok(Self {
            inner: RoomPowerLevels::new(source, version.rules(), creators.to_vec()),
        })
    }

    /// A user's level (`Infinite` for v12 creators).
    pub fn user(&self, user_id: &UserId) -> UserPowerLevel {
        self.inner.for_user(user_id)
    }

    /// The level of users without one of their own.
    pub fn users_default(&self) -> Int {
        self.inner.users_default
    }

    /// The users with a level of their own.
    pub fn users(&self) -> impl Iterator<Item = &UserId> {
        self.inner.users.keys().map(|user| &**user)
    }

    /// Level needed to invite.
    pub fn invite(&self) -> Int {
        self.inner.invite
    }

    /// Level needed to kick.
    pub fn kick(&self) -> Int {
        self.inner.kick
    }

    /// Level needed to ban.
    pub fn ban(&self) -> Int {
        self.inner.ban
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidPowerLevels, message)
}

/// Reads the content object into `levels`.
fn read_content(
    de: &mut json::Deserializer<'_>,
    version: &RoomVersion,
    levels: &mut RoomPowerLevelsEventContent,
) -> json::Result<()> {
    de.object("power levels content (an object)", |de, key| {
        let slot = match key {
            "ban" => Some(&mut levels.ban),
            "kick" => Some(&mut levels.kick),
            "invite" => Some(&mut levels.invite),
            "users_default" => Some(&mut levels.users_default),
            "events_default" | "redact" | "state_default" => None,
            "users" | "events" | "notifications" => {
                // A repeated key replaces the earlier map, as in any JSON object.
                let users = (key == "users").then(|| {
                    levels.users.clear();
                    &mut levels.users
                });
                return read_map(de, version, key, users);
            }
            _ => return de.skip(),
        };
        let value = read_level(de, version, key)?;
        if let Some(slot) = slot {
            *slot = value;
        }
        Ok(())
    })
}

/// Reads `users`, `events` or `notifications`: every value a level; `users` keys user IDs.
fn read_map(
    de: &mut json::Deserializer<'_>,
    version: &RoomVersion,
    name: &str,
    mut users: Option<&mut BTreeMap<OwnedUserId, Int>>,
) -> json::Result<()> {
    let what = format!("`{name}` as an object");
    de.object(&what, |de, entry| {
        let key = format!("{name}.{entry}");
        let level = read_level(de, version, &key)?;
        if let Some(users) = users.as_mut() {
            let user =
                UserId::parse(entry).map_err(|e| custom(format!("`{key}`: not a user ID: {e}")))?;
            users.insert(user, level);
        }
        Ok(())
    })
}

/// Reads one level and validates it for the room version.
fn read_level(
    de: &mut json::Deserializer<'_>,
    version: &RoomVersion,
    key: &str,
) -> json::Result<Int> {
    let level = match de.scalar()? {
        Scalar::Int(i) => Level::Int(i),
        Scalar::UInt(n) => i64::try_from(n).map_or(Level::Float(n as f64), Level::Int),
        Scalar::Float(x) => Level::Float(x),
        Scalar::Str(s) => Level::Text(s.into_owned()),
        Scalar::Bool(_) => Level::Other("a boolean"),
        Scalar::Null => Level::Other("null"),
        Scalar::Array => Level::Other("an array"),
        Scalar::Object => Level::Other("an object"),
    };
    normalize(&level, version, key).map_err(custom)
}

fn custom(message: impl fmt::Display) -> json::Error {
    json::Error::custom(message)
}

/// A power level as the JSON gives it, before the room version says what is valid.
enum Level {
    Int(i64),
    Float(f64),
    Text(String),
    Other(&'static str),
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            // Whole floats exactly, others in words: float formatting would add ~14 kB of wasm
            // for this message alone.
            Self::Float(x) if x.fract() == 0.0 && x.abs() < 1e18 => write!(f, "{}.0", *x as i64),
            Self::Float(_) => f.write_str("a number with a fraction or a large exponent"),
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Other(kind) => f.write_str(kind),
        }
    }
}

/// Turns one power level value into an integer as the room version allows.
fn normalize(value: &Level, version: &RoomVersion, key: &str) -> Result<Int> {
    let integer = match value {
        Level::Int(i) => Some(*i),
        Level::Float(f) if version.float_power_levels() => Some(*f)
            .filter(|f| f.is_finite())
            .map(|f| f.trunc())
            .and_then(f64_to_i64),
        Level::Text(s) if !version.rules().integer_power_levels => parse_stringy(s),
        _ => None,
    };
    let integer = integer.ok_or_else(|| {
        invalid(format!(
            "`{key}` is {value}, not a power level valid in room version {}",
            version.as_str()
        ))
    })?;
    Int::new(integer).ok_or_else(|| invalid(format!("`{key}` is {integer}, outside ±(2^53−1)")))
}

fn f64_to_i64(f: f64) -> Option<i64> {
    // Anything beyond ±2^63 is far outside the allowed range anyway.
    (f.abs() < 9.2e18).then_some(f as i64)
}

/// The spec's string form: optional surrounding whitespace, one optional sign, base-10 digits.
fn parse_stringy(s: &str) -> Option<i64> {
    let trimmed = s.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude: i64 = digits.parse().ok()?;
    Some(if trimmed.starts_with('-') {
        -magnitude
    } else {
        magnitude
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(version: &str, json: &str) -> Result<PowerLevels> {
        let version = RoomVersion::parse(version).unwrap();
        PowerLevels::parse(json, &version, &[])
    }

    #[test]
    fn defaults_are_invite_0_kick_50_ban_50() {
        let pl = parse("10", "{}").unwrap();
        assert_eq!(
            (pl.invite(), pl.kick(), pl.ban()),
            (Int::from(0), Int::from(50), Int::from(50))
        );
    }

    #[test]
    fn stringy_levels_are_legal_before_v10_only() {
        let pl = parse("9", r#"{"kick":" 050 ","users":{"@mod:hs":"+50"}}"#).unwrap();
        assert_eq!(pl.kick(), Int::from(50));
        let user = UserId::parse("@mod:hs").unwrap();
        assert_eq!(pl.user(&user), UserPowerLevel::Int(Int::from(50)));
        assert_eq!(
            parse("10", r#"{"kick":"50"}"#).unwrap_err().code,
            ErrorCode::InvalidPowerLevels
        );
        for bad in [r#""5.0""#, r#""+-5""#, r#""""#, r#""0x10""#, r#""1e3""#] {
            assert!(
                parse("9", &format!(r#"{{"kick":{bad}}}"#)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            parse("9", r#"{"kick":"-007"}"#).unwrap().kick(),
            Int::from(-7)
        );
    }

    #[test]
    fn floats_are_truncated_in_v1_to_v5_and_refused_after() {
        assert_eq!(
            parse("5", r#"{"kick":49.9}"#).unwrap().kick(),
            Int::from(49)
        );
        assert_eq!(
            parse("1", r#"{"kick":-1.5e1}"#).unwrap().kick(),
            Int::from(-15)
        );
        let message = |v: &str, json: &str| parse(v, json).unwrap_err().message;
        assert!(message("6", r#"{"kick":50.0}"#).contains("`kick` is 50.0, not"));
        assert!(message("10", r#"{"kick":50.5}"#).contains("`kick` is a number with a fraction"));
    }

    #[test]
    fn out_of_range_and_wrong_types_are_refused() {
        for bad in [
            r#"{"ban":9007199254740992}"#,
            r#"{"ban":-9007199254740992}"#,
            r#"{"ban":1e300}"#,
            r#"{"ban":null}"#,
            r#"{"ban":true}"#,
            r#"{"users":[]}"#,
            r#"{"users":{"not a user":5}}"#,
            r#"{"events":{"m.room.name":"x"}}"#,
            r#"{"ban":[]}"#,
            r#"{"ban":{}}"#,
            r#"{"ban":18446744073709551615}"#,
            r#"{"notifications":{"room":[1]}}"#,
            "[]",
            r#"{"ban":1} x"#,
        ] {
            assert!(parse("5", bad).is_err(), "{bad}");
        }
        assert!(parse("10", r#"{"ban":9007199254740991}"#).is_ok());
        // Unknown keys may hold anything; a repeated `users` replaces the earlier one.
        let pl = parse(
            "10",
            r#"{"x":[1,{"a":null}],"users":{"@a:hs":99},"users":{"@b:hs":7},"ban":1}"#,
        )
        .unwrap();
        let level = |u: &str| pl.user(&UserId::parse(u).unwrap());
        assert_eq!(level("@a:hs"), UserPowerLevel::Int(Int::from(0)));
        assert_eq!(level("@b:hs"), UserPowerLevel::Int(Int::from(7)));
        assert_eq!(pl.ban(), Int::from(1));
    }
}
