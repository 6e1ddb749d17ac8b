//! Room versions: ruma's authorization rules plus the auth-rule numbering each version uses.

use std::fmt::Write as _;

use ruma_common::{room_version_rules::AuthorizationRules, RoomVersionId};

use super::error::{Error, ErrorCode, Result};

/// A supported (stable, 1–12) room version.
#[derive(Clone, Debug)]
pub struct RoomVersion {
    id: RoomVersionId,
    number: u8,
    rules: AuthorizationRules,
}

/// A step of the `m.room.member` auth rules, to be labelled as a room version numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberRule {
    /// `membership: join`.
    Join,
    /// `membership: invite`.
    Invite,
    /// `membership: leave`.
    Leave,
    /// `membership: ban`.
    Ban,
    /// `membership: knock` (v7+).
    Knock,
    /// The "unknown membership" catch-all.
    Unknown,
}

impl RoomVersion {
    /// Parses a room version string (`content.room_version`; absent means `"1"`).
    pub fn parse(version: &str) -> Result<Self> {
        let unsupported = || {
            Error::new(
                ErrorCode::UnsupportedRoomVersion,
                format!("room version {version:?} is not supported (stable versions 1–12 are)"),
            )
        };
        // The stable versions are matched by name: ruma's `try_from` also accepts custom
        // versions (which we refuse anyway) and costs a substring search in the wasm.
        let stable = [
            RoomVersionId::V1,
            RoomVersionId::V2,
            RoomVersionId::V3,
            RoomVersionId::V4,
            RoomVersionId::V5,
            RoomVersionId::V6,
            RoomVersionId::V7,
            RoomVersionId::V8,
            RoomVersionId::V9,
            RoomVersionId::V10,
            RoomVersionId::V11,
            RoomVersionId::V12,
        ];
        let (number, id) = (1u8..)
            .zip(stable)
            .find(|(_, id)| id.as_str() == version)
            .ok_or_else(unsupported)?;
        let rules = id.rules().ok_or_else(unsupported)?.authorization;
        Ok(Self { id, number, rules })
    }

    /// The version string, e.g. `"10"`.
    pub fn as_str(&self) -> &str {
        self.id.as_str()
    }

    /// The version number 1–12.
    pub fn number(&self) -> u8 {
        self.number
    }

    /// ruma's authorization rules for this version.
    pub fn rules(&self) -> &AuthorizationRules {
        &self.rules
    }

    /// Whether floats are legal power levels (v1–5; they are truncated).
    pub fn float_power_levels(&self) -> bool {
        !self.rules.strict_canonical_json
    }

    /// Label of the `m.federate` rule, e.g. `"v10 3"`.
    pub fn federate_rule(&self) -> String {
        let n = if self.rules.room_create_event_id_as_room_id {
            4
        } else {
            3
        };
        format!("v{} {n}", self.number)
    }

    /// Label of a member auth rule step, e.g. `rule(Leave, &[4])` → `"v10 4.5.4"`.
    ///
    /// `steps` are the sub-step numbers inside that membership's block; empty for the block.
    pub fn rule(&self, which: MemberRule, steps: &[u8]) -> String {
        let block = if self.number <= 5 || self.rules.room_create_event_id_as_room_id {
            5
        } else {
            4
        };
        // v8+ inserted the `join_authorised_via_users_server` signature check as x.2.
        let first = if self.rules.restricted_join_rule {
            3
        } else {
            2
        };
        let knock = u8::from(self.rules.knocking);
        let sub = match which {
            MemberRule::Join => first,
            MemberRule::Invite => first + 1,
            MemberRule::Leave => first + 2,
            MemberRule::Ban => first + 3,
            MemberRule::Knock => first + 4,
            MemberRule::Unknown => first + 4 + knock,
        };
        let mut label = format!("v{} {block}.{sub}", self.number);
        for step in steps {
            // Writing to a String cannot fail.
            let _ = write!(label, ".{step}");
        }
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_numbering_follows_each_version() {
        let v = |s: &str| RoomVersion::parse(s).unwrap();
        assert_eq!(v("1").rule(MemberRule::Unknown, &[]), "v1 5.6");
        assert_eq!(v("6").rule(MemberRule::Join, &[6]), "v6 4.2.6");
        assert_eq!(v("6").rule(MemberRule::Unknown, &[]), "v6 4.6");
        assert_eq!(v("7").rule(MemberRule::Knock, &[3]), "v7 4.6.3");
        assert_eq!(v("7").rule(MemberRule::Leave, &[1]), "v7 4.4.1");
        assert_eq!(v("10").rule(MemberRule::Leave, &[4]), "v10 4.5.4");
        assert_eq!(v("10").rule(MemberRule::Join, &[5, 3]), "v10 4.3.5.3");
        assert_eq!(v("11").rule(MemberRule::Unknown, &[]), "v11 4.8");
        assert_eq!(v("12").rule(MemberRule::Knock, &[3]), "v12 5.7.3");
        assert_eq!(v("12").rule(MemberRule::Ban, &[3]), "v12 5.6.3");
        assert_eq!(v("12").federate_rule(), "v12 4");
        assert_eq!(v("9").federate_rule(), "v9 3");
    }

    #[test]
    fn unknown_versions_are_refused() {
        for bad in ["13", "", "org.matrix.msc2870", "xyz.amorgan.knock", "1.0"] {
            let err = RoomVersion::parse(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsupportedRoomVersion, "{bad}");
        }
    }
}
