/**
 * Whether an IP address is a public one the server may fetch a `file_url` from. Deny by default: an address
 * passes only if ipaddr.js (the classifier Express's proxy-addr uses) files it under no special range —
 * loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, unspecified, broadcast, multicast, documentation,
 * benchmarking, NAT64/6to4/Teredo (they embed IPv4 addresses) and the rest are refused. IPv6 must also be
 * global unicast (2000::/3), so IPv4-compatible `::a.b.c.d` and unassigned space are refused too; an
 * IPv4-mapped IPv6 address is judged as the IPv4 address it maps.
 */
import ipaddr from "ipaddr.js"

/** The address without URL brackets and zone (`[fe80::1%eth0]` → `fe80::1`), or undefined if it is not an IP. */
const parse = (address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined => {
  const bare = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "")
  // isValid accepts IPv4 shorthand (`127.1`); a resolver or WHATWG URL hands over the four-part form.
  return ipaddr.IPv4.isValidFourPartDecimal(bare)
    ? ipaddr.IPv4.parse(bare)
    : ipaddr.IPv6.isValid(bare)
      ? ipaddr.IPv6.parse(bare)
      : undefined
}

const globalUnicast = ipaddr.IPv6.parseCIDR("2000::/3")

export const isIp = (address: string): boolean => parse(address) !== undefined

export const isPublic = (address: string): boolean => {
  const ip = parse(address)
  if (ip === undefined) return false
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    return isPublic((ip as ipaddr.IPv6).toIPv4Address().toString())
  if (ip.range() !== "unicast") return false
  return ip.kind() === "ipv4" || (ip as ipaddr.IPv6).match(globalUnicast)
}

/** True for anything that is not a public address (names included): the complement of `isPublic`. */
export const isPrivateAddress = (address: string): boolean => !isPublic(address)
