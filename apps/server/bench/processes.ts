/**
 * The benchmark's participants, each in its own process (so the client, Parlance and the upstream never share
 * an event loop): `tsx bench/processes.ts upstream` or `tsx bench/processes.ts parlance <upstream-url>`.
 * Prints the URL on its first stdout line, then serves until killed.
 */
import { Server, Upstream } from "../src/index.js"
import { startFakeUpstream } from "../test/fakeUpstream.js"

const [role, upstreamUrl] = process.argv.slice(2)
if (role === "upstream") {
  const upstream = await startFakeUpstream()
  console.log(upstream.url)
} else {
  const server = await Server.start({ backend: Upstream.make({ baseUrl: upstreamUrl! }), port: 0 })
  console.log(`${server.url}/v1`)
}

// Exit normally on SIGTERM so that `node --cpu-prof` can write its profile.
process.on("SIGTERM", () => process.exit(0))
