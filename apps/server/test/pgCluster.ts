/**
 * A throwaway PostgreSQL cluster for one test file (/work/shared/FIELD-NOTES.md "PostgreSQL here"): `initdb` in
 * a temp dir, `pg_ctl start` on 127.0.0.1 and a free port, the socket in the cluster dir, a scram password
 * for TCP logins. initdb and postgres refuse root, so as root they run as the `postgres` user. No binaries
 * is a failure, never a skip (`.ci/run` installs the Debian package).
 */
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface PgCluster {
  /** `postgres://parlance:<password>@127.0.0.1:<port>/parlance` */
  readonly url: string
  readonly password: string
  readonly port: number
  /** `pg_ctl stop -m fast`: every connection breaks (the "database went away" case). */
  readonly stop: () => void
  /** Starts it again on the same port and data. */
  readonly start: () => void
  /** Stops it and removes its directory. */
  readonly destroy: () => void
}

const binDir = (): string => {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0)
    throw new Error("PostgreSQL server binaries not found (apt-get install -y postgresql; or set PG_BIN)")
  return join(root, versions[0]!, "bin")
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const asRoot = process.getuid?.() === 0

export const startCluster = async (): Promise<PgCluster> => {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), "parlance-pg-"))
  const data = join(dir, "data")
  const port = await freePort()
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`
  const run = (tool: string, args: ReadonlyArray<string>) => {
    const argv = [join(bin, tool), ...args]
    execFileSync(asRoot ? "runuser" : argv[0]!, asRoot ? ["-u", "postgres", "--", ...argv] : argv.slice(1), {
      stdio: "pipe",
      timeout: 60_000
    })
  }
  if (asRoot) execFileSync("chown", ["postgres:", dir])
  chmodSync(dir, 0o755)
  const pwfile = join(dir, "pw")
  writeFileSync(pwfile, password)
  if (asRoot) execFileSync("chown", ["postgres:", pwfile])
  // The superuser "parlance" owns the database "parlance": it may create its tables in `public`.
  run("initdb", ["-D", data, "-U", "parlance", "--auth-host=scram-sha-256", "--auth-local=trust", `--pwfile=${pwfile}`])
  const options = `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c max_connections=200 -c fsync=off`
  const start = () => run("pg_ctl", ["start", "-w", "-D", data, "-l", join(dir, "log"), "-o", options])
  const stop = () => {
    try {
      run("pg_ctl", ["stop", "-w", "-m", "fast", "-D", data])
    } catch {
      // already stopped
    }
  }
  start()
  try {
    run("createdb", ["-h", dir, "-p", String(port), "-U", "parlance", "parlance"])
  } catch (error) {
    stop()
    throw error
  }
  let destroyed = false
  const destroy = () => {
    if (destroyed) return
    destroyed = true
    stop()
    rmSync(dir, { recursive: true, force: true })
  }
  // A test process that dies without its afterAll still stops the server (pg_ctl detaches it from our tree).
  process.once("exit", destroy)
  return { url: `postgres://parlance:${password}@127.0.0.1:${port}/parlance`, password, port, stop, start, destroy }
}
