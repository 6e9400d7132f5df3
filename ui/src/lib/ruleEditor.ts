/**
 * The "Allow for this session" field of a permission prompt: it starts with the
 * rule the backend proposes for the request (`proposed_rule`), the person may
 * edit it, and the edited rule is sent with the decision. The backend checks
 * it (`permission_rules::validate`: shell control, wildcards, `..`) and its
 * error is shown as is; this module only shapes the field.
 */
import type { PermissionDecision } from "./bindings/PermissionDecision";
import type { PermissionRequest } from "./bindings/PermissionRequest";
import type { RuleScope } from "./bindings/RuleScope";

/** The field's state: an editable prefix or path, or a rule with nothing to edit. */
export type RuleDraft = { kind: "command" | "path"; text: string } | { kind: "any_input" };

/** The field's starting value, or null when no rule can be offered (the action is hidden). */
export function draftFor(request: PermissionRequest): RuleDraft | null {
  const rule = request.proposed_rule;
  if (rule === null) return null;
  switch (rule.kind) {
    case "command":
      return { kind: "command", text: rule.prefix };
    case "path":
      return { kind: "path", text: rule.glob };
    case "any_input":
      return { kind: "any_input" };
  }
}

/** What the field says it allows. */
export function draftLabel(tool: string, draft: RuleDraft): string {
  switch (draft.kind) {
    case "command":
      return `Allow ${tool} commands that start with`;
    case "path":
      return `Allow ${tool} on paths matching`;
    case "any_input":
      return `Allow every use of ${tool} while this agent runs`;
  }
}

/** A hint under the field: how the text is read. */
export function draftHint(draft: RuleDraft): string {
  switch (draft.kind) {
    case "command":
      return "Whole words; a command with ; & | ` $( < > or a line break is always asked.";
    case "path":
      return "An absolute file, DIR/* (files in DIR) or DIR/** (everything below DIR).";
    case "any_input":
      return "";
  }
}

/** The rule to save, or why the field cannot be saved yet (it is empty). */
export function ruleFromDraft(draft: RuleDraft): { rule: RuleScope } | { error: string } {
  if (draft.kind === "any_input") return { rule: { kind: "any_input" } };
  const text = draft.text.trim();
  if (text === "") return { error: draft.kind === "command" ? "Name at least the program." : "Name a path." };
  return { rule: draft.kind === "command" ? { kind: "command", prefix: text } : { kind: "path", glob: text } };
}

/** The decision "allow, and save this rule"; `updatedInput` is the (maybe edited) input. */
export function allowWithRule(updatedInput: unknown, rule: RuleScope): PermissionDecision {
  return { behavior: "allow", updated_input: updatedInput, always: true, rule };
}
