/**
 * PostgreSQL access for the stores (`@effect/sql-pg`, its native wire-protocol driver): the pool with its
 * limits, the schema migrations (one list, run under an advisory lock), the health of the connection, and
 * cross-replica signals over LISTEN/NOTIFY. Store modules (pgStore.ts: responses and their events;
 * pgConversations.ts) build on `PgDb` and append to `migrations`.
 *
 * The password never leaves this module: errors and logs carry `redact`ed text, never the URL or a raw
 * driver error.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as SqlClient from "effect/sql/SqlClient"
import { readFileSync } from "node:fs"
import type { ConnectionOptions } from "node:tls"
import { StoreError } from "../../ResponseStore.js"

/** libpq's `sslmode` values. */
export const sslModes = ["disable", "prefer", "require", "verify-ca", "verify-full"] as const
export type SslMode = (typeof sslModes)[number]

export interface PgOptions {
  /** `postgres://user:pass@host:port/db[?sslmode=…]` */
  readonly url: string
  /** Most connections this replica opens (the LISTEN connection included). Default 10. */
  readonly poolSize?: number
  /** PostgreSQL's `statement_timeout` on every connection (ms), and the bound on one store call. Default 5 000. */
  readonly statementTimeoutMs?: number
  /** Overrides the URL's `sslmode`. `require` encrypts without checking the certificate, as libpq does. */
  readonly sslMode?: SslMode
  /** A PEM file of the CA that signs the server's certificate (verify-ca / verify-full). */
  readonly sslRootCert?: string
  /** How long opening a connection may take (ms). Default 3 000. */
  readonly connectTimeoutMs?: number
}

/** The URL with its password masked: what the banner and logs show. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    for (const key of ["password"]) if (parsed.searchParams.has(key)) parsed.searchParams.set(key, "***")
    return parsed.toString()
  } catch {
    return "postgres://***"
  }
}

/** Whether `--store` names a PostgreSQL database. */
export const isPostgresUrl = (store: string): boolean => /^postgres(ql)?:\/\//i.test(store)

const passwordOf = (url: string): string | undefined => {
  try {
    const parsed = new URL(url)
    const password = decodeURIComponent(parsed.password) || parsed.searchParams.get("password") || undefined
    return password === undefined || password === "" ? undefined : password
  } catch {
    return undefined
  }
}

/** TLS settings for `mode`, as libpq reads them; undefined: the URL decides. */
const tlsOf = (mode: SslMode | undefined, rootCert: string | undefined): boolean | ConnectionOptions | undefined => {
  const ca = rootCert === undefined ? {} : { ca: readFileSync(rootCert, "utf8") }
  switch (mode) {
    case undefined:
      return rootCert === undefined ? undefined : { ...ca }
    case "disable":
      return false
    case "prefer":
      return undefined
    case "require":
      return { ...ca, rejectUnauthorized: false }
    case "verify-ca":
      return { ...ca, checkServerIdentity: () => undefined }
    case "verify-full":
      return { ...ca }
  }
}

/** One schema step. Applied in `id` order, each once, all of a start's steps in one transaction. */
export interface Migration {
  readonly id: number
  readonly name: string
  readonly statements: ReadonlyArray<string>
}

/**
 * Every table the PostgreSQL stores use, in one list: append, never edit an applied step.
 */
export const migrations: ReadonlyArray<Migration> = [
  {
    id: 1,
    name: "create_responses",
    statements: [
      `CREATE TABLE responses (
        id text PRIMARY KEY,
        created_at bigint NOT NULL,
        status text NOT NULL,
        previous_response_id text,
        record text NOT NULL,
        owner text,
        heartbeat_at bigint
      )`,
      "CREATE INDEX responses_running ON responses (heartbeat_at) WHERE status IN ('in_progress', 'queued')",
      // item_reference resolves against every stored item; `seq` orders writers (the newest holder wins).
      `CREATE TABLE response_items (
        response_id text NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
        item_id text NOT NULL,
        seq bigserial NOT NULL,
        item text NOT NULL,
        PRIMARY KEY (response_id, item_id)
      )`,
      "CREATE INDEX response_items_by_item ON response_items (item_id, seq DESC)",
      "CREATE TABLE cancel_requests (id text PRIMARY KEY, requested_at bigint NOT NULL)"
    ]
  },
  {
    id: 2,
    name: "create_conversations",
    statements: [
      "CREATE TABLE conversations (id text PRIMARY KEY, created_at bigint NOT NULL, record text NOT NULL)",
      // `position`: the order items were appended in, never reused; pages are range scans of the primary key.
      `CREATE TABLE conversation_items (
        conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position bigint NOT NULL,
        item_id text NOT NULL,
        item text NOT NULL,
        PRIMARY KEY (conversation_id, position),
        UNIQUE (conversation_id, item_id)
      )`
    ]
  },
  {
    id: 3,
    name: "create_response_events",
    statements: [
      // A background response's stream, event by event (GET ?stream=true&starting_after=N on any replica).
      // No foreign key: the first events may be written before the in-progress record lands (two
      // connections); deleting the response deletes them (pgStore.ts).
      `CREATE TABLE response_events (
        response_id text NOT NULL,
        sequence integer NOT NULL,
        sse text NOT NULL,
        PRIMARY KEY (response_id, sequence)
      )`
    ]
  }
]

// Any constant: every replica of every version takes the same lock.
const MIGRATION_LOCK = 7_215_040_311

/** Applies the pending `steps`: replicas starting together take turns on the advisory lock; the later find the work done. */
export const migrate = (sql: SqlClient.SqlClient, steps: ReadonlyArray<Migration> = migrations) =>
  sql.withTransaction(
    Effect.gen(function* () {
      yield* sql.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`)
      yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS parlance_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
      const rows = yield* sql.unsafe<{ latest: number | null }>("SELECT max(id) AS latest FROM parlance_migrations")
      const latest = Number(rows[0]?.latest ?? 0)
      for (const step of steps) {
        if (step.id <= latest) continue
        for (const statement of step.statements) yield* sql.unsafe(statement)
        yield* sql.unsafe("INSERT INTO parlance_migrations (id, name) VALUES ($1, $2)", [step.id, step.name])
      }
    })
  )

export interface PgDb {
  readonly sql: PgClient.PgClient
  /**
   * A store call: bounded by the statement timeout, its failure a StoreError with redacted text (logged once),
   * and its outcome the store's health.
   */
  readonly call: <A, E>(what: string, effect: Effect.Effect<A, E>) => Effect.Effect<A, StoreError>
  /** False from a failed call until a call (or the background probe) reaches the database again. */
  readonly available: () => boolean
  /** Scrubs the password from any text. */
  readonly redact: (text: string) => string
}

/** Opens the pool, checks the database answers, and migrates. Closed with the scope. */
export const open = (options: PgOptions): Effect.Effect<PgDb, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const password = passwordOf(options.url)
    const redact = (text: string) => {
      let out = text.split(options.url).join(redactUrl(options.url))
      if (password !== undefined) {
        out = out.split(password).join("***")
        out = out.split(encodeURIComponent(password)).join("***")
      }
      return out
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? 5_000
    const connectTimeoutMs = options.connectTimeoutMs ?? 3_000
    const ssl = yield* Effect.try({
      try: () => tlsOf(options.sslMode, options.sslRootCert),
      catch: (cause) => new StoreError({ message: redact(`Response store: TLS setup failed: ${messageOf(cause)}`) })
    })
    const scope = yield* Effect.scope
    const sql = yield* PgClient.make({
      url: Redacted.make(options.url),
      ...(ssl === undefined ? {} : { ssl }),
      maxConnections: options.poolSize ?? 10,
      minConnections: 0,
      idleTimeout: Duration.seconds(30),
      connectTimeout: Duration.millis(connectTimeoutMs),
      acquireTimeout: Duration.millis(connectTimeoutMs + statementTimeoutMs),
      keepAlive: Duration.seconds(10),
      applicationName: "parlance",
      startupParameters: { statement_timeout: String(statementTimeoutMs) }
    }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.mapError((e) => new StoreError({ message: redact(`Response store: connect failed: ${messageOf(e)}`) }))
    )
    let up = true
    let probing = false
    // While down, one probe a second brings the store back without waiting for a request to try.
    const probe = Effect.gen(function* () {
      if (probing) return
      probing = true
      yield* sql
        .unsafe("SELECT 1")
        .pipe(
          Effect.timeout(Duration.millis(connectTimeoutMs + 1_000)),
          Effect.retry(Schedule.spaced(Duration.seconds(1))),
          Effect.ensuring(Effect.sync(() => (probing = false)))
        )
      if (!up) yield* Effect.logInfo("response store: PostgreSQL reachable again")
      up = true
    })
    const probeFiber: Array<Fiber.Fiber<unknown, unknown>> = []
    const markDown = () => {
      if (!up) return
      up = false
      probeFiber.push(Effect.runFork(Effect.ignore(probe)))
    }
    yield* Scope.addFinalizer(
      scope,
      Effect.suspend(() => Effect.forEach(probeFiber, Fiber.interrupt, { discard: true }))
    )
    const bound = Duration.millis(statementTimeoutMs + connectTimeoutMs + 1_000)
    const call = <A, E>(what: string, effect: Effect.Effect<A, E>): Effect.Effect<A, StoreError> =>
      effect.pipe(
        Effect.timeoutOrElse({
          duration: bound,
          orElse: () => Effect.fail(new Error(`no answer within ${Duration.toMillis(bound)} ms`))
        }),
        Effect.tap(() => Effect.sync(() => (up = true))),
        Effect.catchCause((cause) => {
          const text = redact(`Response store: ${what} failed: ${cause.reasons.map(messageOf).join("; ")}`)
          return Effect.sync(markDown).pipe(
            Effect.andThen(Effect.logError(text)),
            Effect.andThen(Effect.fail(new StoreError({ message: text })))
          )
        })
      ) as Effect.Effect<A, StoreError>
    yield* call("connect", sql.unsafe("SELECT 1"))
    yield* call("migrate", migrate(sql))
    return { sql, call, available: () => up, redact } satisfies PgDb
  })

/** The messages along a failure's chain of causes ("Failed to connect: password authentication failed…"). */
const messageOf = (error: unknown): string => {
  const parts: Array<string> = []
  let at: unknown = error
  for (let depth = 0; depth < 6 && typeof at === "object" && at !== null; depth++) {
    const e = at as { reason?: unknown; message?: unknown; error?: unknown; defect?: unknown; cause?: unknown }
    if (e.error !== undefined || e.defect !== undefined) {
      at = e.error ?? e.defect
      continue
    }
    if (typeof e.message === "string" && e.message !== "" && !parts.some((p) => p.includes(e.message as string)))
      parts.push(e.message)
    at = e.reason ?? e.cause
  }
  return parts.length > 0 ? parts.join(": ") : String(error)
}

/**
 * Named signals across replicas on one channel: `publish(key)` reaches every `subscribe(key, …)` of every
 * replica (NOTIFY, payload = key). One LISTEN connection per channel, reopened after a loss; `onListening`
 * runs at each (re)start, so a subscriber re-reads what it may have missed while the connection was down.
 */
export interface Signals {
  readonly subscribe: (key: string, onSignal: () => void) => () => void
}

export const signals = (
  db: PgDb,
  channel: string,
  onListening: (keys: ReadonlyArray<string>, emit: (key: string) => void) => Effect.Effect<void>
): Effect.Effect<Signals, never, Scope.Scope> =>
  Effect.gen(function* () {
    const subscribers = new Map<string, Set<() => void>>()
    const keys = () => [...subscribers.keys()]
    const emit = (key: string) => {
      for (const callback of subscribers.get(key) ?? []) callback()
    }
    const listen = Effect.scoped(
      Effect.gen(function* () {
        const queue = yield* db.sql.listen(channel)
        yield* onListening(keys(), emit)
        for (;;) emit((yield* Queue.take(queue)).payload)
      })
    )
    yield* Effect.forkScoped(listen.pipe(Effect.retry(Schedule.spaced(Duration.millis(500))), Effect.ignore))
    return {
      subscribe: (key, onSignal) => {
        let set = subscribers.get(key)
        if (set === undefined) subscribers.set(key, (set = new Set()))
        set.add(onSignal)
        return () => {
          set.delete(onSignal)
          if (set.size === 0 && subscribers.get(key) === set) subscribers.delete(key)
        }
      }
    }
  })
