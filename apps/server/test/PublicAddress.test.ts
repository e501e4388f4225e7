/** The file_url address classifier over a table: only public unicast addresses pass. */
import { describe, expect, it } from "@effect/vitest"
import { isIp, isPublic } from "../src/internal/inputs/publicAddress.js"

const refused = [
  ["127.0.0.1", "IPv4 loopback"],
  ["127.255.255.254", "IPv4 loopback, end of 127/8"],
  ["10.0.0.1", "RFC 1918 10/8"],
  ["172.16.0.1", "RFC 1918 172.16/12"],
  ["172.31.255.255", "RFC 1918 172.16/12, its end"],
  ["192.168.1.1", "RFC 1918 192.168/16"],
  ["169.254.169.254", "link-local (cloud metadata)"],
  ["100.64.0.1", "CGNAT 100.64/10"],
  ["100.127.255.255", "CGNAT, its end"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "this network 0/8"],
  ["255.255.255.255", "broadcast"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast (SSDP)"],
  ["192.0.2.1", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["240.0.0.1", "reserved 240/4"],
  ["::1", "IPv6 loopback"],
  ["[::1]", "IPv6 loopback, as a URL writes it"],
  ["::", "IPv6 unspecified"],
  ["fc00::1", "unique local fc00::/7"],
  ["fd12:3456:789a::1", "unique local fd00::/8"],
  ["fe80::1", "link-local fe80::/10"],
  ["fe80::1%eth0", "link-local with a zone"],
  ["febf::1", "link-local, its end"],
  ["ff02::1", "IPv6 multicast"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:7f00:1", "IPv4-mapped loopback, hex"],
  ["[::ffff:a9fe:a9fe]", "IPv4-mapped metadata address"],
  ["::ffff:10.0.0.1", "IPv4-mapped private"],
  ["::127.0.0.1", "IPv4-compatible (deprecated) loopback"],
  ["64:ff9b::a9fe:a9fe", "NAT64 of the metadata address"],
  ["2002:7f00:1::1", "6to4 of loopback"],
  ["2001::1", "Teredo"],
  ["2001:db8::1", "IPv6 documentation"],
  ["fec0::1", "deprecated site-local"],
  ["100::1", "discard-only"],
  ["localhost", "a name, not an address"],
  ["127.1", "IPv4 shorthand (WHATWG URL writes 127.0.0.1)"],
  ["2130706433", "decimal IPv4 (WHATWG URL writes 127.0.0.1)"],
  ["", "empty"]
] as const

const allowed = [
  ["8.8.8.8", "public IPv4"],
  ["1.1.1.1", "public IPv4"],
  ["93.184.215.14", "public IPv4"],
  ["172.32.0.1", "just past 172.16/12"],
  ["100.128.0.1", "just past CGNAT"],
  ["169.255.0.1", "just past link-local"],
  ["2606:4700:4700::1111", "public IPv6"],
  ["[2a00:1450:4001:82b::200e]", "public IPv6, bracketed"],
  ["::ffff:8.8.8.8", "IPv4-mapped public"]
] as const

describe("isPublic", () => {
  it.each(refused)("refuses %s (%s)", (address) => expect(isPublic(address)).toBe(false))
  it.each(allowed)("allows %s (%s)", (address) => expect(isPublic(address)).toBe(true))
  it("isIp tells literal addresses from names", () => {
    expect(["127.0.0.1", "::1", "[::1]", "fe80::1%lo"].map(isIp)).toEqual([true, true, true, true])
    expect(["localhost", "example.com", "127.1", ""].map(isIp)).toEqual([false, false, false, false])
  })
})
