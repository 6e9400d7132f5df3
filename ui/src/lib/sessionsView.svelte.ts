/** The sessions list's filters, kept while the app runs (across views). */
import { DEFAULT_QUERY, type SessionQuery } from "./sessionQuery";

export const sessionQuery: SessionQuery = $state({ ...DEFAULT_QUERY });

export function resetSessionQuery(keepSort = true): void {
  const sort = sessionQuery.sort;
  Object.assign(sessionQuery, DEFAULT_QUERY, keepSort ? { sort } : {});
}
