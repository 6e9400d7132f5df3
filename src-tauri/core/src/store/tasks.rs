//! The task log (what happened to each session, in order), metrics and usage by day.

use super::*;

impl Store {
    /// Appends a task event in its own transaction and returns it with its row id.
    pub fn insert_task_event(
        &self,
        task_id: Option<&str>,
        session_id: &str,
        ts: DateTime<Utc>,
        kind: TaskEventKind,
        detail: &serde_json::Value,
    ) -> Result<TaskEvent> {
        self.immediate(|tx| insert_task_event_in(tx, task_id, session_id, ts, kind, detail))
    }

    /// A session's last "command sent" that carries a command (not a permission decision):
    /// its row id and the command.
    pub fn last_command(&self, session_id: &str) -> Result<Option<(i64, String)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, json_extract(detail, '$.command') FROM task_events WHERE session_id = ?1 AND kind = ?2 \
             AND json_extract(detail, '$.command') IS NOT NULL ORDER BY id DESC LIMIT 1",
        )?;
        Ok(stmt.query_row(params![session_id, TaskEventKind::CommandSent.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
    }

    /// A task's log (`by_task`) or a session's, in time order.
    pub fn task_events(&self, key: TaskEventKey<'_>, limit: u32) -> Result<Vec<TaskEvent>> {
        let conn = self.reader();
        let (sql, value) = match key {
            TaskEventKey::Task(t) => {
                ("SELECT id, task_id, session_id, ts, kind, detail FROM task_events WHERE task_id = ?1 ORDER BY ts, id LIMIT ?2", t)
            }
            TaskEventKey::Session(s) => {
                ("SELECT id, task_id, session_id, ts, kind, detail FROM task_events WHERE session_id = ?1 ORDER BY ts, id LIMIT ?2", s)
            }
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![value, limit.min(MAX_PAGE)], |r| {
            let kind: String = r.get(4)?;
            let detail: String = r.get(5)?;
            Ok(TaskEvent {
                id: r.get(0)?,
                task_id: r.get(1)?,
                session_id: r.get(2)?,
                ts: ts_from_ms(r.get(3)?),
                kind: TaskEventKind::parse(&kind).unwrap_or(TaskEventKind::Error),
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Task ids with their session counts, most recently used first.
    pub fn tasks(&self, limit: u32) -> Result<Vec<(String, u64)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT task_id, count(*) FROM sessions WHERE task_id IS NOT NULL GROUP BY task_id ORDER BY max(created_at) DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.min(MAX_PAGE)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Totals over all sessions, from the trigger-maintained `session_totals` (a few rows).
    pub fn metrics(&self) -> Result<Metrics> {
        let conn = self.reader();
        let mut m = Metrics::default();
        let (mut ended_n, mut ended_ms) = (0i64, 0i64);
        {
            let mut stmt = conn.prepare_cached(
                "SELECT status, agent, n, input_tokens, output_tokens, cost_usd, ended_n, ended_ms FROM session_totals WHERE n > 0",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let status: String = r.get(0)?;
                let agent: String = r.get(1)?;
                let n = r.get::<_, i64>(2)? as u64;
                m.total += n;
                if SessionStatus::LIVE_NAMES.contains(&status.as_str()) {
                    m.active += n;
                }
                if status == "error" {
                    m.errors += n;
                }
                *m.by_status.entry(status).or_default() += n;
                *m.by_agent.entry(agent).or_default() += n;
                m.input_tokens += r.get::<_, i64>(3)? as u64;
                m.output_tokens += r.get::<_, i64>(4)? as u64;
                m.cost_usd += r.get::<_, f64>(5)?;
                ended_n += r.get::<_, i64>(6)?;
                ended_ms += r.get::<_, i64>(7)?;
            }
        }
        // Sums of floats added and taken away drift by ulps; keep the figure to a micro-dollar.
        m.cost_usd = (m.cost_usd.max(0.0) * 1e6).round() / 1e6;
        m.avg_duration_ms = if ended_n > 0 { ended_ms as f64 / ended_n as f64 } else { 0.0 };
        drop(conn);
        m.total_created = self.total_created()?;
        Ok(m)
    }

    /// Tokens and cost per day (UTC) of sessions created in the last `days` days.
    pub fn usage_by_day(&self, since: DateTime<Utc>) -> Result<Vec<crate::model::DayUsage>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT date(created_at / 1000, 'unixepoch') AS day, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd) \
             FROM sessions WHERE created_at >= ?1 GROUP BY day ORDER BY day",
        )?;
        let rows = stmt.query_map([since.timestamp_millis()], |r| {
            Ok(crate::model::DayUsage {
                day: r.get(0)?,
                sessions: r.get::<_, i64>(1)? as u64,
                input_tokens: r.get::<_, i64>(2)? as u64,
                output_tokens: r.get::<_, i64>(3)? as u64,
                cost_usd: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Whose task log [`Store::task_events`] reads.
#[derive(Debug, Clone, Copy)]
pub enum TaskEventKey<'a> {
    /// The events of every session linked to this task id.
    Task(&'a str),
    /// The events of this session id.
    Session(&'a str),
}

pub(crate) fn insert_task_event_in(
    conn: &Connection,
    task_id: Option<&str>,
    session_id: &str,
    ts: DateTime<Utc>,
    kind: TaskEventKind,
    detail: &serde_json::Value,
) -> Result<TaskEvent> {
    let mut stmt = conn.prepare_cached("INSERT INTO task_events (task_id, session_id, ts, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    stmt.execute(params![task_id, session_id, ts.timestamp_millis(), kind.as_str(), detail.to_string()])?;
    Ok(TaskEvent {
        id: conn.last_insert_rowid(),
        task_id: task_id.map(str::to_string),
        session_id: session_id.to_string(),
        ts,
        kind,
        detail: detail.clone(),
    })
}
