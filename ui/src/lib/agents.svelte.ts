/** Which agents are installed (the `agents` command), loaded once and on demand. */
import type { AgentInfo } from "./bindings/AgentInfo";
import type { AgentKind } from "./bindings/AgentKind";
import { listAgents } from "./api";
import { Resource } from "./resource.svelte";

class AgentsStore {
  #resource = new Resource<AgentInfo[]>(listAgents);
  #started = false;

  get list(): AgentInfo[] | null {
    return this.#resource.data;
  }

  get error(): string | null {
    return this.#resource.error;
  }

  get loading(): boolean {
    return this.#resource.loading;
  }

  info(agent: AgentKind): AgentInfo | undefined {
    return this.#resource.data?.find((a) => a.agent === agent);
  }

  /** Loads once; later calls do nothing unless `force`. */
  ensure(force = false): Promise<void> {
    if (this.#started && !force) return Promise.resolve();
    this.#started = true;
    return this.#resource.load();
  }
}

export const agents = new AgentsStore();
