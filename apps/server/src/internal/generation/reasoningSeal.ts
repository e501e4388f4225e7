/**
 * Sealing what a stateless client carries for us: reasoning (`include: ["reasoning.encrypted_content"]`)
 * and compaction summaries travel as opaque `encrypted_content` blobs that only this server (or a replica
 * sharing its key) can open. AES-256-GCM: a blob that was altered, or sealed under another key, does not open.
 *
 * Blob: `pl1.` + base64url(iv[12] ‖ ciphertext ‖ tag[16]); the plaintext is `{"k": kind, "t": text}`.
 * The key comes from `--secret` (any string, hashed to 32 bytes), a key file, or is generated once and kept
 * in the data dir (`secret.key`, mode 0600) so blobs survive restarts.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export type SealedKind = "reasoning" | "compaction"

export interface Sealer {
  readonly seal: (kind: SealedKind, text: string) => string
  /** The kind and text, or undefined for a blob this key did not seal (another server's, or tampered with). */
  readonly unseal: (blob: string) => { readonly kind: SealedKind; readonly text: string } | undefined
}

const prefix = "pl1."
const aad = Buffer.from("parlance encrypted_content v1")

export const makeSealer = (key: Uint8Array): Sealer => {
  if (key.length !== 32) throw new Error(`The sealing key must be 32 bytes, got ${key.length}.`)
  const seal = (kind: SealedKind, text: string): string => {
    const iv = randomBytes(12)
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aad)
    const body = Buffer.concat([cipher.update(JSON.stringify({ k: kind, t: text }), "utf8"), cipher.final()])
    return prefix + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")
  }
  const unseal = (blob: string) => {
    if (!blob.startsWith(prefix)) return undefined
    const raw = Buffer.from(blob.slice(prefix.length), "base64url")
    if (raw.length < 12 + 16) return undefined
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12)).setAAD(aad)
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
        "utf8"
      )
      const parsed = JSON.parse(plain) as { k?: unknown; t?: unknown }
      if ((parsed.k !== "reasoning" && parsed.k !== "compaction") || typeof parsed.t !== "string") return undefined
      return { kind: parsed.k, text: parsed.t } as const
    } catch {
      return undefined
    }
  }
  return { seal, unseal }
}

export interface KeySource {
  /** `--secret`: any string; its SHA-256 is the key, so every replica given it opens the others' blobs. */
  readonly secret?: string | undefined
  /** A file holding the secret (its trimmed text, as `--secret`). */
  readonly secretFile?: string | undefined
  /** Where a generated key is kept. Without one, a fresh key lives as long as the process (the memory store's lifetime). */
  readonly dataDir?: string | undefined
}

const fromSecret = (secret: string): Uint8Array => createHash("sha256").update(secret, "utf8").digest()

export const loadKey = (source: KeySource): Uint8Array => {
  if (source.secret !== undefined && source.secret !== "") return fromSecret(source.secret)
  if (source.secretFile !== undefined) {
    const text = readFileSync(source.secretFile, "utf8").trim()
    if (text === "") throw new Error(`The secret file ${source.secretFile} is empty.`)
    return fromSecret(text)
  }
  if (source.dataDir === undefined) return randomBytes(32)
  const file = join(source.dataDir, "secret.key")
  if (existsSync(file)) return fromSecret(readFileSync(file, "utf8").trim())
  mkdirSync(source.dataDir, { recursive: true })
  const generated = randomBytes(32).toString("base64url")
  try {
    writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: "wx" })
    chmodSync(file, 0o600)
  } catch (error) {
    // Another process sharing the data dir wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return fromSecret(readFileSync(file, "utf8").trim())
    throw error
  }
  return fromSecret(generated)
}
