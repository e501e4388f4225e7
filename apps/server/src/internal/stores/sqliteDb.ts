/**
 * A small SQLite access layer over `@libsql/client` (local `file:` databases; libSQL ships prebuilt binaries on
 * npm), built so that a store shared by several processes never wedges:
 * - every connection has a short busy timeout (SQLite's own wait for a lock; it blocks the event loop, so it
 *   stays short), and SQLITE_BUSY is retried with jittered exponential backoff (which does not block);
 * - one writer queue per process: this process's writers never contend with each other for the lock;
 * - a write is one `BEGIN IMMEDIATE … COMMIT` batch run synchronously, so the lock is held only for the
 *   statements themselves, never across an await; an interactive transaction (migrations) commits or rolls
 *   back in a finalizer, on failure and on interruption alike;
 * - every wait (queue, lock, backoff) is bounded by `lockWaitMs`: past it the call fails with a StoreError,
 *   the queue moves on, and every other call goes on.
 */
import {
  type Client,
  createClient,
  type InStatement,
  LibsqlError,
  type ResultSet,
  type Transaction
} from "@libsql/client"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import { StoreError } from "../../ResponseStore.js"

export interface SqliteOptions {
  /** SQLite's busy timeout on every connection (ms): how long one attempt waits for a lock. Default 100. */
  readonly busyTimeoutMs?: number
  /** The bound on one call's whole wait: the writer queue, the lock, the retries (ms). Default 10 000. */
  readonly lockWaitMs?: number
}

/** The statements of an interactive transaction. */
export interface Tx {
  readonly execute: (stmt: InStatement) => Effect.Effect<ResultSet, StoreError>
}

export interface Db {
  /** One statement outside any transaction, not queued: reads (WAL: readers never wait for the writer). */
  readonly read: (stmt: InStatement, what: string) => Effect.Effect<ResultSet, StoreError>
  /** Statements as one write transaction, through the writer queue; the results in order. */
  readonly write: (
    stmts: ReadonlyArray<InStatement>,
    what: string
  ) => Effect.Effect<ReadonlyArray<ResultSet>, StoreError>
  /** An interactive write transaction, through the writer queue: committed on success, else rolled back. */
  readonly transaction: <A>(
    body: (tx: Tx) => Effect.Effect<A, StoreError>,
    what: string
  ) => Effect.Effect<A, StoreError>
  readonly close: Effect.Effect<void>
}

/** SQLITE_BUSY (another connection holds the lock) and SQLITE_LOCKED: worth another try. */
export const isBusy = (error: unknown): boolean =>
  error instanceof LibsqlError && (error.code === "SQLITE_BUSY" || error.code === "SQLITE_LOCKED")

/** The one shape of this store's failures: `Response store: <what> failed`, with the cause. */
export const storeError = (what: string, cause: unknown) =>
  new StoreError({ message: `Response store: ${what} failed`, cause })

// A Promise-returning libSQL call. Uninterruptible: the call's work is synchronous (bounded by the busy
// timeout), and a write it did must not be reported as failed because a timeout landed meanwhile.
const attempt = <A>(f: () => Promise<A>): Effect.Effect<A, unknown> =>
  Effect.uninterruptible(Effect.tryPromise({ try: f, catch: (e) => e }))

/** Opens `path` (a file; created if absent) in WAL mode. */
export const open = Effect.fnUntraced(function* (path: string, options: SqliteOptions = {}) {
  const busyTimeoutMs = options.busyTimeoutMs ?? 100
  const lockWaitMs = options.lockWaitMs ?? 10_000
  // Two clients, each a small pool: a connection that met SQLITE_BUSY is dropped (see `fresh`), and the
  // readers' connections can be dropped without touching a transaction the writer holds open.
  // `timeout` is the busy timeout of every connection a client opens (a PRAGMA would reach only one).
  const connect = () => createClient({ url: `file:${path}`, timeout: busyTimeoutMs })
  const [reads, writes] = yield* Effect.try({
    try: () => [connect(), connect()] as const,
    catch: (e) => storeError("open", e)
  })
  let closed = false
  const writer = yield* Semaphore.make(1)
  const backoff = Schedule.exponential("5 millis", 2).pipe(
    Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(250)))),
    Schedule.jittered
  )
  // Busy, or a read that met the readers' reconnect below (not a closed store): worth another try.
  const retriable = (e: unknown) => isBusy(e) || (!closed && e instanceof LibsqlError && e.code === "CLIENT_CLOSED")

  // libSQL does not reset a statement that failed: one that met SQLITE_BUSY stays active on its connection
  // (SQLite leaves it resumable), and every later COMMIT there fails with "cannot commit transaction - SQL
  // statements in progress" until the garbage collector finalizes it. So a client whose statement met
  // SQLITE_BUSY starts over on new connections. Synchronous, and no operation holds a connection across an
  // await but a transaction, which holds the writer queue; the writes client is only reset from inside it.
  const fresh = <A>(client: Client, effect: Effect.Effect<A, unknown>) =>
    Effect.tapError(effect, (e) => (isBusy(e) ? Effect.sync(() => void client.reconnect()) : Effect.void))
  /** One libSQL call on `client`, retried while the database is busy (on new connections, see `fresh`). */
  const call = <A>(client: Client, f: () => Promise<A>) =>
    Effect.retry(fresh(client, attempt(f)), { while: retriable, schedule: backoff })

  /** The whole call bounded by `lockWaitMs` (queue, lock, retries); a final failure is logged. */
  const bounded = <A>(effect: Effect.Effect<A, unknown>, what: string): Effect.Effect<A, StoreError> =>
    effect.pipe(
      Effect.mapError((e) => storeError(what, e)),
      Effect.timeoutOrElse({
        duration: lockWaitMs,
        orElse: () =>
          Effect.fail(storeError(what, new Error(`the database stayed locked for ${lockWaitMs} ms (SQLITE_BUSY)`)))
      }),
      Effect.tapError((error) => Effect.logError(error.message, error.cause))
    )

  /** Through the writer queue, and bounded like any call (the wait for the queue counts). */
  const queued = <A>(effect: Effect.Effect<A, unknown>, what: string) => bounded(writer.withPermit(effect), what)

  const transaction = <A>(body: (tx: Tx) => Effect.Effect<A, StoreError>, what: string) =>
    Effect.acquireUseRelease(
      call(writes, () => writes.transaction("write")),
      (tx) =>
        body({
          execute: (stmt) =>
            Effect.mapError(
              attempt(() => tx.execute(stmt)),
              (e) => storeError(what, e)
            )
        }),
      (tx: Transaction, exit) =>
        // A failed COMMIT fails the call; its connection goes back rolled back either way.
        Exit.isSuccess(exit)
          ? Effect.mapError(
              attempt(() => tx.commit()),
              (e) => storeError(what, e)
            )
          : Effect.sync(() => tx.close())
    ).pipe(
      // Whatever failed inside, the next transaction starts on a new connection.
      Effect.tapError(() => Effect.sync(() => void writes.reconnect()))
    )

  const db: Db = {
    read: (stmt, what) =>
      bounded(
        call(reads, () => reads.execute(stmt)),
        what
      ),
    // BEGIN IMMEDIATE … COMMIT in one synchronous call: the lock is held for the statements only, and the
    // client rolls back whatever fails before the connection is reused.
    write: (stmts, what) =>
      queued(
        call(writes, () => writes.batch([...stmts], "write")),
        what
      ),
    transaction: (body, what) => queued(transaction(body, what), what),
    close: Effect.sync(() => {
      closed = true
      reads.close()
      writes.close()
    })
  }
  // WAL: readers never block the writer; several server processes can share the file on one host.
  yield* queued(
    call(writes, () => writes.execute("PRAGMA journal_mode=WAL")),
    "enable WAL"
  )
  return db
})
