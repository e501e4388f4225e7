// The GPU bundle leaves libSQL's native binary out (10 MB the 64 MiB carry limit cannot spare); device.sh serves
// with --store memory, so nothing calls this.
export const createClient = () => {
  throw new Error("SQLite is not in the GPU bundle: run with --store memory")
}
export class LibsqlError extends Error {}
