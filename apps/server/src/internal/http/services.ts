/** The services the HTTP app runs on, read once when it is built (handlers then close over them). */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { Backend, type BackendService } from "../../Backend.js"
import { ConversationStore, type ConversationStoreService } from "../../ConversationStore.js"
import { Generations, type GenerationsService } from "../../Generations.js"
import { Metrics, type MetricsService } from "../../Metrics.js"
import { Recorder, type RecorderService } from "../../Recorder.js"
import { Replica, type ReplicaService } from "../../Replica.js"
import { ResponseStore, type ResponseStoreService } from "../../ResponseStore.js"
import { ServerConfig, type ServerConfigService } from "../../ServerConfig.js"

export interface Services {
  readonly backend: BackendService
  readonly store: ResponseStoreService
  readonly conversations: ConversationStoreService
  readonly metrics: MetricsService
  readonly generations: GenerationsService
  readonly recorder: RecorderService
  readonly config: ServerConfigService
  readonly replica: ReplicaService
  /** Epoch milliseconds, from the runtime's Clock (a test clock in tests that install one). */
  readonly now: () => number
  /** The app's context, for the generation's IO (store writes, recording) run from plain callbacks. */
  readonly context: Context.Context<never>
}

export type Requirements =
  | Backend
  | ResponseStore
  | ConversationStore
  | Metrics
  | Generations
  | Recorder
  | ServerConfig
  | Replica

export const services: Effect.Effect<Services, never, Requirements> = Effect.all({
  backend: Backend,
  store: ResponseStore,
  conversations: ConversationStore,
  metrics: Metrics,
  generations: Generations,
  recorder: Recorder,
  config: ServerConfig,
  replica: Replica,
  now: Effect.clockWith((clock) => Effect.succeed(() => clock.currentTimeMillisUnsafe())),
  context: Effect.context<never>()
})
