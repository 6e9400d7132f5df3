/**
 * The "Allow for this session" rules in force, by session. A session's list is
 * loaded when its view opens, after a decision that saved a rule, and when its
 * agent process changes (rules end with the process that they were saved for).
 */
import type { PermissionRule } from "./bindings/PermissionRule";
import { errorMessage } from "./errors";

export interface RuleSource {
  list(id: string): Promise<PermissionRule[]>;
  revoke(id: string, ruleId: number): Promise<unknown>;
}

export class RuleStore {
  /** session id → its rules, oldest first. */
  #bySession: Map<string, PermissionRule[]> = $state(new Map());
  error: string | null = $state(null);

  for(id: string): PermissionRule[] {
    return this.#bySession.get(id) ?? [];
  }

  async load(source: RuleSource, id: string): Promise<void> {
    try {
      this.#set(id, await source.list(id));
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Revokes one rule; the list is reloaded from the backend either way. */
  async revoke(source: RuleSource, id: string, ruleId: number): Promise<void> {
    let failure: string | null = null;
    try {
      await source.revoke(id, ruleId);
    } catch (err) {
      failure = errorMessage(err);
    }
    await this.load(source, id);
    if (failure !== null) this.error = failure;
  }

  #set(id: string, list: PermissionRule[]): void {
    const next = new Map(this.#bySession);
    if (list.length === 0) next.delete(id);
    else next.set(id, list);
    this.#bySession = next;
  }
}

export const rules = new RuleStore();
