/**
 * `EnginePool`: embedded models loaded on first use, at most `max` at once (docs/architecture.md#many-models).
 * Each model is a route whose `open` leases its engine: loaded already, it serves at once; loading, the request
 * waits (bounded by `loadTimeoutMs`, then 503 `model_loading`); not loaded, the least recently used idle engine
 * is unloaded to make room (none idle: the request waits for one, bounded alike), the memory the model needs is
 * checked (`fits`: one that does not fit is a 503 `insufficient_memory`, not a crash), and it loads. With
 * `idleUnloadMs`, an engine no request has used for that long is unloaded on its own. The engine
 * itself comes from `load` (the CLI spawns a runner process per model), so this module needs no engine.
 * @since 0.2.0
 */
import { ChatBackend as Backends } from "@parlance/schema"
import type { ChatBackend, Source } from "@parlance/schema"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { readdirSync } from "node:fs"
import { basename, join } from "node:path"
import type * as Backend from "./Backend.js"

/** What the pool loads: a model file and whatever the loader needs besides. @category models */
export interface PooledModel {
  /** One engine per key (the file and its options). */
  readonly key: string
  /** For the log and errors. */
  readonly name: string
}

/** @category models */
export interface PoolOptions<M extends PooledModel> {
  /** Engines loaded at once; undefined: no limit. */
  readonly max?: number | undefined
  /** How long a request waits for its model to load, or for room to load it (ms, default 120 000). */
  readonly loadTimeoutMs?: number | undefined
  /**
   * How long an engine stays loaded with no request in flight before it is unloaded (ms; undefined: until its
   * room is needed). Ollama's `keep_alive`: the memory goes back to the host between bursts of use.
   */
  readonly idleUnloadMs?: number | undefined
  /** Loads the engine; closing the scope unloads it. */
  readonly load: (model: M) => Effect.Effect<Backend.BackendService, unknown, Scope.Scope>
  /** Why the model would not fit in memory now, or undefined when it fits. */
  readonly fits?: (model: M) => Effect.Effect<string | undefined>
}

/** A route's view of its engine. @category models */
export interface PooledBackend extends Backend.BackendService {
  readonly loaded: () => boolean
}

/** @category models */
export interface EnginePool<M extends PooledModel> {
  readonly backend: (model: M) => PooledBackend
  /** Engines loaded now, least recently used first. */
  readonly loadedNames: () => ReadonlyArray<string>
  /** Unloads every engine. */
  readonly close: Effect.Effect<void>
}

class Slot<M extends PooledModel> {
  state: "unloaded" | "loading" | "loaded" = "unloaded"
  backend: Backend.BackendService | undefined
  scope: Scope.Closeable | undefined
  loading: Promise<void> | undefined
  inFlight = 0
  lastUsed = 0
  idleTimer: ReturnType<typeof setTimeout> | undefined
  constructor(readonly model: M) {}
}

const unavailable = (message: string, code: string) =>
  new Backends.BackendError({ reason: "overloaded", message, param: null, code })

/** @category constructors */
export const make = <M extends PooledModel>(options: PoolOptions<M>): EnginePool<M> => {
  const max = options.max ?? Number.POSITIVE_INFINITY
  const loadTimeoutMs = options.loadTimeoutMs ?? 120_000
  const slots = new Map<string, Slot<M>>()
  let changed: { promise: Promise<void>; resolve: () => void } | undefined
  /** Settles at the next release, load or unload: a waiter looks again then. */
  const nextChange = () => {
    if (changed === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      changed = { promise, resolve }
    }
    return changed.promise
  }
  const notify = () => {
    const c = changed
    changed = undefined
    c?.resolve()
  }
  const occupied = () => [...slots.values()].filter((s) => s.state !== "unloaded").length
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

  const unload = async (slot: Slot<M>, why: string) => {
    clearTimeout(slot.idleTimer)
    slot.idleTimer = undefined
    const scope = slot.scope
    slot.state = "unloaded"
    slot.backend = undefined
    slot.scope = undefined
    await run(Effect.logInfo(`unloading ${slot.model.name} (${why})`))
    if (scope !== undefined) await run(Scope.close(scope, Exit.void))
    notify()
  }

  const load = (slot: Slot<M>): Promise<void> => {
    slot.state = "loading"
    const started = Date.now()
    const loading = (async () => {
      const why = options.fits === undefined ? undefined : await run(options.fits(slot.model))
      if (why !== undefined)
        throw unavailable(`The model '${slot.model.name}' cannot be loaded: ${why}`, "insufficient_memory")
      await run(Effect.logInfo(`loading ${slot.model.name}`))
      const scope = await run(Scope.make())
      const loaded = await run(Effect.exit(Scope.provide(scope)(options.load(slot.model))))
      if (Exit.isFailure(loaded)) {
        await run(Scope.close(scope, Exit.void))
        // A loader that says why in the contract's terms (not enough memory) is answered so; anything else
        // stays generic: its text names files and devices, which are the operator's, not the client's.
        const said = loaded.cause.reasons.find(
          (r) => Cause.isFailReason(r) && r.error instanceof Backends.BackendError
        ) as Cause.Fail<Backends.BackendError> | undefined
        if (said !== undefined) throw said.error
        throw unavailable(`The model '${slot.model.name}' could not be loaded.`, "model_load_failed")
      }
      slot.backend = loaded.value
      slot.scope = scope
      slot.state = "loaded"
      await run(Effect.logInfo(`loaded ${slot.model.name} in ${Date.now() - started} ms`))
    })()
    slot.loading = loading.then(
      () => notify(),
      async (error) => {
        slot.state = "unloaded"
        await run(Effect.logWarning(`${slot.model.name}: ${error instanceof Error ? error.message : String(error)}`))
        notify()
        throw error
      }
    )
    // A load nobody waits for any more must not be an unhandled rejection.
    slot.loading.catch(() => undefined)
    return slot.loading
  }

  /** Leases the slot's engine: loads it (making room) when needed. Rejects with a BackendError. */
  const acquire = async (slot: Slot<M>, cancelled: () => boolean): Promise<Backend.BackendService> => {
    const deadline = Date.now() + loadTimeoutMs
    const within = <A>(promise: Promise<A>) =>
      new Promise<A | "late">((resolve, reject) => {
        const timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()))
        promise.then(
          (value) => (clearTimeout(timer), resolve(value)),
          (error) => (clearTimeout(timer), reject(error))
        )
      })
    const late = () =>
      unavailable(
        `The model '${slot.model.name}' is not ready: it did not load (or find room to load) within ${loadTimeoutMs} ms.`,
        "model_loading"
      )
    for (;;) {
      if (cancelled()) throw unavailable("The request was cancelled.", "cancelled")
      if (slot.state === "loaded" && slot.backend !== undefined) {
        clearTimeout(slot.idleTimer)
        slot.idleTimer = undefined
        slot.inFlight++
        slot.lastUsed = Date.now()
        return slot.backend
      }
      if (slot.state === "loading") {
        if ((await within(slot.loading!)) === "late") throw late()
        continue
      }
      if (occupied() < max) {
        if ((await within(load(slot))) === "late") throw late()
        continue
      }
      const idle = [...slots.values()]
        .filter((s) => s.state === "loaded" && s.inFlight === 0)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0]
      if (idle !== undefined) {
        await unload(idle, `least recently used; making room for ${slot.model.name}`)
        continue
      }
      if ((await within(nextChange())) === "late") throw late()
    }
  }

  const release = (slot: Slot<M>) => {
    slot.inFlight--
    slot.lastUsed = Date.now()
    if (slot.inFlight === 0 && options.idleUnloadMs !== undefined) {
      clearTimeout(slot.idleTimer)
      const idleSince = slot.lastUsed
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined
        if (slot.state === "loaded" && slot.inFlight === 0 && slot.lastUsed === idleSince)
          void unload(slot, `idle for ${options.idleUnloadMs} ms`)
      }, options.idleUnloadMs)
      // An idle timer alone never keeps the process up.
      slot.idleTimer.unref()
    }
    notify()
  }

  /** The source, releasing its lease once (however often `release` is called). */
  const leased = (slot: Slot<M>, source: Source.Source): Source.Source => {
    let done = false
    return {
      next: () => source.next(),
      release: () => {
        if (!done) {
          done = true
          release(slot)
        }
        return source.release()
      }
    }
  }

  const backend = (model: M): PooledBackend => {
    let slot = slots.get(model.key)
    if (slot === undefined) {
      slot = new Slot(model)
      slots.set(model.key, slot)
    }
    const s = slot
    const lease = Effect.callback<Backend.BackendService, ChatBackend.BackendError>((resume) => {
      let cancelled = false
      acquire(s, () => cancelled).then(
        (engine) => {
          // The client left while it waited: the lease goes back at once.
          if (cancelled) release(s)
          else resume(Effect.succeed(engine))
        },
        (error) =>
          resume(
            Effect.fail(
              error instanceof Backends.BackendError
                ? error
                : unavailable(`The model '${s.model.name}' is unavailable.`, "model_unavailable")
            )
          )
      )
      return Effect.sync(() => void (cancelled = true))
    })
    return {
      kind: "engine",
      loaded: () => s.state === "loaded",
      models: Effect.sync(() => [{ id: model.name, owned_by: "parlance", created: 0, loaded: s.state === "loaded" }]),
      open: (request, openOptions) =>
        Effect.flatMap(lease, (engine) =>
          engine.open(request, openOptions).pipe(
            Effect.map((source) => leased(s, source)),
            Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => release(s))))
          )
        ),
      load: Effect.suspend(() =>
        s.state === "loaded" && s.backend?.load !== undefined
          ? s.backend.load
          : Effect.succeed({ busy: 0, waiting: 0, size: 0 })
      ),
      health: Effect.suspend(() =>
        s.state === "loaded" && s.backend?.health !== undefined ? s.backend.health : Effect.succeed({ status: s.state })
      )
    }
  }

  return {
    backend,
    loadedNames: () =>
      [...slots.values()]
        .filter((s) => s.state === "loaded")
        .sort((a, b) => a.lastUsed - b.lastUsed)
        .map((s) => s.model.name),
    close: Effect.promise(async () => {
      for (const slot of slots.values()) {
        if (slot.state === "loading") await slot.loading?.catch(() => undefined)
        if (slot.state === "loaded") await unload(slot, "shutting down")
      }
    })
  }
}

/** The GGUF files of a folder, by model name (the file name without `.gguf`), read again at most once a second. @category utils */
export const scanModels = (dir: string): (() => ReadonlyArray<{ readonly name: string; readonly path: string }>) => {
  let at = 0
  let found: ReadonlyArray<{ readonly name: string; readonly path: string }> = []
  return () => {
    if (Date.now() - at < 1_000) return found
    at = Date.now()
    try {
      found = readdirSync(dir)
        .filter((f) => /\.gguf$/i.test(f))
        .sort()
        .map((f) => ({ name: basename(f).replace(/\.gguf$/i, ""), path: join(dir, f) }))
    } catch {
      found = []
    }
    return found
  }
}
