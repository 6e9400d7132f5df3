//! A tool use the agent asks the person to approve, and how it was settled.

use super::*;

/// A tool use the agent asks the user to approve (Claude's `can_use_tool`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PermissionRequest {
    /// The session whose agent asks.
    pub session_id: String,
    /// The agent's id for this request; answers must carry it back.
    pub request_id: String,
    /// The tool it wants to use, as the agent names it (`Bash`, `Write`, `mcp__…`).
    pub tool_name: String,
    /// The tool's input as the agent sent it (e.g. `{"command": "npm test"}`); an Allow may replace it.
    #[ts(type = "unknown")]
    pub input: serde_json::Value,
    /// The agent's short description (e.g. the file name for Write).
    pub description: Option<String>,
    /// A one-line summary for people: "wants to run: npm test".
    pub gist: String,
    /// When the agent asked (UTC).
    #[ts(type = "string")]
    pub asked_at: DateTime<Utc>,
    /// None while pending.
    pub decision: Option<PermissionDecision>,
    /// When it was settled (UTC); None while pending.
    #[ts(type = "string | null")]
    pub decided_at: Option<DateTime<Utc>>,
    /// Who settled it, and where; None while pending, for a cancellation, and for requests
    /// decided before this was recorded.
    #[serde(default)]
    pub decided_by: Option<Decider>,
    /// The "Allow for this session" rule offered for this request (the person may edit it
    /// before saving); None when there is nothing sensible to offer. Derived from the tool
    /// and input, not stored.
    #[serde(default)]
    pub proposed_rule: Option<crate::permission_rules::RuleScope>,
}

/// Who settled a permission request, and where: shown with the decision in the task timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Decider {
    /// The person, in the app's window.
    App,
    /// The person, with `switchboard allow` / `switchboard deny`.
    Cli,
    /// A saved "Allow for this session" rule, without asking.
    Rule,
    /// Nobody: denied when the configured permission timeout ran out.
    Timeout,
    /// The person, in the dialog of a terminal session's own terminal.
    Terminal,
}

impl Decider {
    /// How the store and the task log spell it (as serde does).
    pub fn as_str(self) -> &'static str {
        match self {
            Decider::App => "app",
            Decider::Cli => "cli",
            Decider::Rule => "rule",
            Decider::Timeout => "timeout",
            Decider::Terminal => "terminal",
        }
    }

    fn parse(s: &str) -> Option<Decider> {
        [Decider::App, Decider::Cli, Decider::Rule, Decider::Timeout, Decider::Terminal].into_iter().find(|d| d.as_str() == s)
    }

    /// Reads a stored value; unknown spellings (a newer version's) read as None.
    pub fn from_stored(s: Option<String>) -> Option<Decider> {
        s.as_deref().and_then(Decider::parse)
    }
}

/// How a permission request was settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "behavior", rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Allowed, possibly with an edited input. `always` also saves a rule that answers
    /// matching later requests of this agent process: `rule`, or when it is absent the
    /// request's `proposed_rule`. A stored decision carries the rule that was saved.
    Allow {
        /// The input to run the tool with instead of the agent's; None: as asked.
        #[ts(type = "unknown")]
        updated_input: Option<serde_json::Value>,
        /// Also save a rule, so later matching requests of this agent process are allowed without asking.
        always: bool,
        /// The rule saved with `always`; None: the request's `proposed_rule`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        rule: Option<crate::permission_rules::RuleScope>,
    },
    /// Refused: the agent is told no and gets `message`.
    Deny {
        /// Why, shown to the agent (at most [`MAX_DENY_MESSAGE`](crate::MAX_DENY_MESSAGE) characters).
        message: String,
    },
    /// Nobody answered: the turn was interrupted, the session ended, or it timed out.
    Cancelled {
        /// Why nobody answered, for people (e.g. "the agent exited before it was answered").
        reason: String,
    },
}
