/**
 * Which hosts the server may fetch on a client's behalf (`input_file.file_url`): public addresses only, so a
 * client cannot make the server read its loopback services (the upstream, a database), the private network
 * or a cloud metadata endpoint (169.254.169.254) and hand the answer to the model — server-side request
 * forgery. Every address a name resolves to must be public; a redirect is checked again at each hop.
 */
import { lookup } from "node:dns/promises"
import { isIP } from "node:net"

const v4 = (address: string): ReadonlyArray<number> => address.split(".").map(Number)

const privateV4 = (address: string): boolean => {
  const [a = 0, b = 0] = v4(address)
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments, 192.0.0.0/24 (and 192.0.2.0/24 documentation)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  )
}

const privateV6 = (address: string): boolean => {
  const lower = address.toLowerCase()
  // IPv4-mapped, dotted (::ffff:127.0.0.1) or as the URL parser writes it (::ffff:7f00:1).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped) return privateV4(mapped[1]!)
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hex) {
    const hi = parseInt(hex[1]!, 16)
    const lo = parseInt(hex[2]!, 16)
    return privateV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
  }
  return (
    lower.startsWith("::") || // unspecified, loopback, and the deprecated IPv4-compatible ::a.b.c.d
    lower.startsWith("0:0:0:0:0:") ||
    /^f[cd]/.test(lower) || // unique local fc00::/7
    /^fe[89ab]/.test(lower) || // link-local fe80::/10
    /^ff/.test(lower) || // multicast
    lower.startsWith("64:ff9b:") || // NAT64 (may embed a private v4)
    lower.startsWith("2001:db8:") // documentation
  )
}

/** True for an IP literal that is not a public unicast address. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  return family === 4 ? privateV4(address) : family === 6 ? privateV6(address) : true
}

/** Resolves `hostname` (an IP literal resolves to itself); true when every address is public. */
export const isPublicHost = async (hostname: string): Promise<boolean> => {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname
  if (isIP(bare) !== 0) return !isPrivateAddress(bare)
  try {
    const addresses = await lookup(bare, { all: true, verbatim: true })
    return addresses.length > 0 && addresses.every((a) => !isPrivateAddress(a.address))
  } catch {
    return false
  }
}
