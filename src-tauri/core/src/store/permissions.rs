//! Permission requests (asked, decided, delivered) and the rules saved from them.

use super::*;

/// The most "Allow for this session" rules one session keeps: every tool request is checked
/// against all of them, and a person has to be able to read the list.
pub const MAX_RULES: u32 = 100;

impl Store {
    /// Records a new request; false (and nothing changed) when the session already has a
    /// request with this id: a repeated id never resets a decision or its delivery.
    pub fn insert_permission(&self, p: &crate::model::PermissionRequest) -> Result<bool> {
        let n = self.writer().execute(
            "INSERT INTO permission_requests (session_id, request_id, tool_name, input, description, gist, asked_at, decision, decided_at, answered) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0) ON CONFLICT (session_id, request_id) DO NOTHING",
            params![
                p.session_id, p.request_id, p.tool_name, p.input.to_string(), p.description, p.gist, p.asked_at.timestamp_millis(),
                p.decision.as_ref().map(|d| serde_json::to_string(d).unwrap_or_default()), p.decided_at.map(|t| t.timestamp_millis())
            ],
        )?;
        Ok(n == 1)
    }

    /// Records a decision on a pending request; false when it was already decided (or unknown).
    pub fn decide_permission(
        &self,
        session_id: &str,
        request_id: &str,
        decision: &crate::model::PermissionDecision,
        by: Option<crate::model::Decider>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let json = serde_json::to_string(decision).map_err(|e| Error::Corrupt(e.to_string()))?;
        let n = self.writer().execute(
            "UPDATE permission_requests SET decision = ?3, decided_at = ?4, decided_by = ?5 \
             WHERE session_id = ?1 AND request_id = ?2 AND decided_at IS NULL",
            params![session_id, request_id, json, at.timestamp_millis(), by.map(|b| b.as_str())],
        )?;
        Ok(n == 1)
    }

    /// Claims the delivery of a decided request: true for exactly one caller, the one that
    /// then writes the answer to the agent; false when it is undecided or already claimed.
    pub fn claim_permission_delivery(&self, session_id: &str, request_id: &str) -> Result<bool> {
        let n = self.writer().execute(
            "UPDATE permission_requests SET answered = 1 WHERE session_id = ?1 AND request_id = ?2 AND decided_at IS NOT NULL AND answered = 0",
            params![session_id, request_id],
        )?;
        Ok(n == 1)
    }

    /// One request and whether its decision was already written to the agent (the `answered`
    /// flag, claimed once); None when the session has no such request.
    pub fn permission(&self, session_id: &str, request_id: &str) -> Result<Option<(crate::model::PermissionRequest, bool)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {PERMISSION_COLUMNS}, answered FROM permission_requests WHERE session_id = ?1 AND request_id = ?2"
        ))?;
        Ok(stmt.query_row([session_id, request_id], |r| Ok((permission_from_row(r)?, r.get::<_, i64>(10)? != 0))).optional()?)
    }

    /// Requests still waiting for a decision, oldest first (one session's, or all).
    pub fn pending_permissions(&self, session_id: Option<&str>) -> Result<Vec<crate::model::PermissionRequest>> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {PERMISSION_COLUMNS} FROM permission_requests WHERE decided_at IS NULL{} ORDER BY asked_at, request_id LIMIT {MAX_PAGE}",
            if session_id.is_some() { " AND session_id = ?1" } else { "" }
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = match session_id {
            Some(id) => stmt.query_map([id], permission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt.query_map([], permission_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    /// Saves a rule for the agent process `(pid, proc_start)` and drops the session's rules
    /// of any other (finished) process, in one transaction. Refuses past [`MAX_RULES`].
    pub fn add_permission_rule(
        &self,
        session_id: &str,
        tool_name: &str,
        scope: &crate::permission_rules::RuleScope,
        request_id: &str,
        process: (u32, Option<u64>),
        at: DateTime<Utc>,
    ) -> Result<crate::permission_rules::PermissionRule> {
        let json = serde_json::to_string(scope).map_err(|e| Error::Corrupt(e.to_string()))?;
        let (pid, start) = (process.0 as i64, process.1.map(|v| v as i64));
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM permission_rules WHERE session_id = ?1 AND NOT (pid = ?2 AND proc_start IS ?3)",
            params![session_id, pid, start],
        )?;
        let n: i64 = tx.query_row("SELECT count(*) FROM permission_rules WHERE session_id = ?1", [session_id], |r| r.get(0))?;
        if n >= MAX_RULES as i64 {
            return Err(Error::invalid("rule", format!("a session keeps at most {MAX_RULES} rules; revoke some first")));
        }
        tx.execute(
            "INSERT INTO permission_rules (session_id, tool_name, scope, request_id, pid, proc_start, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![session_id, tool_name, json, request_id, pid, start, at.timestamp_millis()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(crate::permission_rules::PermissionRule {
            id,
            session_id: session_id.to_string(),
            tool_name: tool_name.to_string(),
            label: crate::permission_rules::label(tool_name, scope),
            scope: scope.clone(),
            request_id: request_id.to_string(),
            created_at: ts_from_ms(at.timestamp_millis()),
        })
    }

    /// The rules saved for the agent process `(pid, proc_start)` of a session, oldest first.
    pub fn permission_rules(&self, session_id: &str, process: (u32, Option<u64>)) -> Result<Vec<crate::permission_rules::PermissionRule>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, session_id, tool_name, scope, request_id, created_at FROM permission_rules \
             WHERE session_id = ?1 AND pid = ?2 AND proc_start IS ?3 ORDER BY id LIMIT {MAX_RULES}"
        ))?;
        let rows = stmt.query_map(params![session_id, process.0 as i64, process.1.map(|v| v as i64)], |r| {
            let tool_name: String = r.get(2)?;
            let scope: String = r.get(3)?;
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, tool_name, scope, r.get::<_, String>(4)?, r.get::<_, i64>(5)?))
        })?;
        let mut rules = Vec::new();
        for row in rows {
            let (id, session_id, tool_name, scope, request_id, created_at) = row?;
            // A scope this version cannot read allows nothing: skip it rather than fail.
            let Ok(scope) = serde_json::from_str::<crate::permission_rules::RuleScope>(&scope) else { continue };
            rules.push(crate::permission_rules::PermissionRule {
                id,
                session_id,
                label: crate::permission_rules::label(&tool_name, &scope),
                tool_name,
                scope,
                request_id,
                created_at: ts_from_ms(created_at),
            });
        }
        Ok(rules)
    }

    /// Deletes one rule of a session; false when there was no such rule.
    pub fn revoke_permission_rule(&self, session_id: &str, rule_id: i64) -> Result<bool> {
        let n = self.writer().execute("DELETE FROM permission_rules WHERE session_id = ?1 AND id = ?2", params![session_id, rule_id])?;
        Ok(n == 1)
    }
}

pub(super) const PERMISSION_COLUMNS: &str =
    "session_id, request_id, tool_name, input, description, gist, asked_at, decision, decided_at, decided_by";

pub(super) fn permission_from_row(r: &Row<'_>) -> rusqlite::Result<crate::model::PermissionRequest> {
    let input: String = r.get(3)?;
    let decision: Option<String> = r.get(7)?;
    let tool_name: String = r.get(2)?;
    let input_value = serde_json::from_str(&input).unwrap_or(serde_json::Value::String(input));
    Ok(crate::model::PermissionRequest {
        session_id: r.get(0)?,
        request_id: r.get(1)?,
        proposed_rule: crate::permission_rules::propose(&tool_name, &input_value),
        tool_name,
        input: input_value,
        description: r.get(4)?,
        gist: r.get(5)?,
        asked_at: ts_from_ms(r.get(6)?),
        decision: decision.and_then(|d| serde_json::from_str(&d).ok()),
        decided_at: r.get::<_, Option<i64>>(8)?.map(ts_from_ms),
        decided_by: crate::model::Decider::from_stored(r.get(9)?),
    })
}
