//! `m.room.power_levels`: version-aware validation, then ruma's [`RoomPowerLevels`] for levels.
//!
//! Validation follows the room version: v1–5 accept integers, integer strings and floats
//! (truncated); v6–9 integers and integer strings; v10+ integers only. Anything else is an event
//! a homeserver would have rejected, so it is refused as bad input.

use js_int::Int;
use ruma_common::{OwnedUserId, UserId};
use ruma_events::room::power_levels::{
    RoomPowerLevels, RoomPowerLevelsEventContent, RoomPowerLevelsSource, UserPowerLevel,
};
use serde_json::{value::RawValue, Map, Number, Value};

use super::{
    error::{Error, ErrorCode, Result},
    event::parse_json,
    version::RoomVersion,
};

const SCALARS: [&str; 7] = [
    "ban",
    "events_default",
    "invite",
    "kick",
    "redact",
    "state_default",
    "users_default",
];
const MAPS: [&str; 3] = ["events", "notifications", "users"];

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

    /// Parses and validates `content` of an `m.room.power_levels` event.
    pub fn parse(
        content: &RawValue,
        version: &RoomVersion,
        creators: &[OwnedUserId],
    ) -> Result<Self> {
        let value: Value = parse_json(content.get()).map_err(|e| invalid(e.to_string()))?;
        let Value::Object(mut object) = value else {
            return Err(invalid("content is not an object"));
        };
        for key in SCALARS {
            if let Some(value) = object.get_mut(key) {
                *value = Value::Number(normalize(value, version, key)?);
            }
        }
        for key in MAPS {
            if let Some(value) = object.get_mut(key) {
                let Value::Object(map) = value else {
                    return Err(invalid(format!("`{key}` is not an object")));
                };
                normalize_map(map, version, key)?;
            }
        }
        let content: RoomPowerLevelsEventContent =
            serde_json::from_value(Value::Object(object)).map_err(|e| invalid(e.to_string()))?;
        let source = RoomPowerLevelsSource::Original(content);
        Ok(Self {
            inner: RoomPowerLevels::new(source, version.rules(), creators.to_vec()),
        })
    }

    /// A user's level (`Infinite` for v12 creators).
    pub fn user(&self, user_id: &UserId) -> UserPowerLevel {
        self.inner.for_user(user_id)
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

fn normalize_map(map: &mut Map<String, Value>, version: &RoomVersion, key: &str) -> Result<()> {
    for (name, value) in map.iter_mut() {
        *value = Value::Number(normalize(value, version, &format!("{key}.{name}"))?);
    }
    Ok(())
}

/// Turns one power level value into an integer as the room version allows.
fn normalize(value: &Value, version: &RoomVersion, key: &str) -> Result<Number> {
    let integer = match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(i),
            None if version.float_power_levels() => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc())
                .and_then(f64_to_i64),
            None => None,
        },
        Value::String(s) if !version.rules().integer_power_levels => parse_stringy(s),
        _ => None,
    };
    let integer = integer.ok_or_else(|| {
        invalid(format!(
            "`{key}` is {value}, not a power level valid in room version {}",
            version.as_str()
        ))
    })?;
    if Int::new(integer).is_none() {
        return Err(invalid(format!("`{key}` is {integer}, outside ±(2^53−1)")));
    }
    Ok(Number::from(integer))
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
        let raw = RawValue::from_string(json.to_owned()).unwrap();
        PowerLevels::parse(&raw, &version, &[])
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
        assert!(parse("6", r#"{"kick":50.0}"#).is_err());
        assert!(parse("10", r#"{"kick":50.0}"#).is_err());
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
            "[]",
        ] {
            assert!(parse("5", bad).is_err(), "{bad}");
        }
        assert!(parse("10", r#"{"ban":9007199254740991}"#).is_ok());
    }
}
