/**
 * Cancel watching: a cancel may come through another replica sharing the store. While the generation runs,
 * the store tells (`watchCancel`: PostgreSQL by LISTEN/NOTIFY, SQLite by polling its flag) and `stop` is
 * called. Only stored responses are watched.
 */
import type { ResponseStoreService } from "../../ResponseStore.js"

/** Starts watching; returns the function that stops it. */
export const watch = (store: ResponseStoreService, id: string, stop: () => void): (() => void) =>
  store.watchCancel(id, stop)
