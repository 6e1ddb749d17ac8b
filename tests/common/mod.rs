//! Builders for test rooms in the notation of the spec digest's test vectors (§11):
//! @c:hs1 creator, @c2:hs1 additional creator (v12), @admin:hs1, @mod:hs1, @u:hs1 joined,
//! @k:hs2 the knocker without a member event.
#![allow(dead_code)]

use matrix_knock::core::RoomState;
use serde_json::{json, Value};

pub struct Setup {
    pub version: String,
    pub join_rule: Option<Value>,
    pub power_levels: Option<Value>,
    pub create_extra: Value,
    pub members: Vec<(String, String, String)>,
}

pub fn setup(version: &str) -> Setup {
    let members = ["@c:hs1", "@admin:hs1", "@mod:hs1", "@u:hs1"]
        .iter()
        .map(|u| (u.to_string(), "join".to_owned(), u.to_string()))
        .collect();
    Setup {
        version: version.to_owned(),
        join_rule: Some(json!({"join_rule": "knock"})),
        power_levels: Some(p1(version)),
        create_extra: json!({}),
        members,
    }
}

/// P1: admin 100, mod 50, plus the creator at 100 before v12.
pub fn p1(version: &str) -> Value {
    let mut users = json!({"@admin:hs1": 100, "@mod:hs1": 50});
    if version != "12" {
        users["@c:hs1"] = json!(100);
    }
    json!({ "users": users })
}

impl Setup {
    pub fn rule(mut self, rule: &str) -> Self {
        self.join_rule = Some(json!({ "join_rule": rule }));
        self
    }
    pub fn join_rules(mut self, content: Option<Value>) -> Self {
        self.join_rule = content;
        self
    }
    pub fn pl(mut self, pl: Option<Value>) -> Self {
        self.power_levels = pl;
        self
    }
    /// Merges keys into the power levels (P1 unless replaced).
    pub fn pl_with(mut self, extra: Value) -> Self {
        let mut pl = self.power_levels.take().unwrap_or_else(|| json!({}));
        for (k, v) in extra.as_object().unwrap() {
            if k == "users" {
                for (u, l) in v.as_object().unwrap() {
                    pl["users"][u] = l.clone();
                }
            } else {
                pl[k] = v.clone();
            }
        }
        self.power_levels = Some(pl);
        self
    }
    pub fn create(mut self, extra: Value) -> Self {
        self.create_extra = extra;
        self
    }
    /// Sets a member event (membership, sender).
    pub fn member(mut self, user: &str, membership: &str, sender: &str) -> Self {
        self.members.retain(|(u, _, _)| u != user);
        self.members
            .push((user.to_owned(), membership.to_owned(), sender.to_owned()));
        self
    }
    pub fn me(self, user: &str, membership: &str) -> Self {
        self.member(user, membership, user)
    }

    pub fn events(&self) -> Vec<Value> {
        let mut create = json!({"room_version": self.version});
        if !matches!(self.version.as_str(), "11" | "12") {
            create["creator"] = json!("@c:hs1");
        }
        for (k, v) in self.create_extra.as_object().unwrap() {
            create[k] = v.clone();
        }
        let mut events = vec![state("m.room.create", "", "@c:hs1", create)];
        for (user, membership, sender) in &self.members {
            events.push(state(
                "m.room.member",
                user,
                sender,
                json!({"membership": membership}),
            ));
        }
        if let Some(pl) = &self.power_levels {
            events.push(state("m.room.power_levels", "", "@c:hs1", pl.clone()));
        }
        if let Some(jr) = &self.join_rule {
            events.push(state("m.room.join_rules", "", "@c:hs1", jr.clone()));
        }
        events
    }

    pub fn build(&self) -> RoomState {
        let text = serde_json::to_string(&self.events()).unwrap();
        RoomState::from_json(&text).unwrap_or_else(|e| panic!("{e}"))
    }
}

pub fn state(kind: &str, key: &str, sender: &str, content: Value) -> Value {
    json!({
        "type": kind, "state_key": key, "sender": sender, "content": content,
        "event_id": format!("${kind}-{key}"), "origin_server_ts": 1000,
    })
}
