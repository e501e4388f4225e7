/**
 * One file's bytes → the text a local text model reads: PDF (its text layer, through unpdf — PDF.js built
 * for servers, no native canvas, runs on Node 20), plain text, Markdown, JSON, CSV. Anything else, and a
 * PDF that is encrypted, broken or has no text layer, is refused with the reason (the caller adds the param).
 */
import { extractText, getDocumentProxy } from "unpdf"

/** A file the server cannot turn into text: the message says why. */
export class Unreadable {
  constructor(readonly message: string) {}
}

export type Kind = "pdf" | "text" | "markdown" | "json" | "csv"

const byMime: Record<string, Kind> = {
  "application/pdf": "pdf",
  "text/plain": "text",
  "text/markdown": "markdown",
  "text/x-markdown": "markdown",
  "application/json": "json",
  "text/json": "json",
  "text/csv": "csv",
  "application/csv": "csv"
}
const byExtension: Record<string, Kind> = { pdf: "pdf", txt: "text", text: "text", md: "markdown", markdown: "markdown", json: "json", csv: "csv" }
/** Types that say nothing about the content: the file name decides then. */
const generic = new Set(["", "application/octet-stream", "binary/octet-stream"])

const pdfMagic = [0x25, 0x50, 0x44, 0x46, 0x2d] // "%PDF-"

export const supported = "PDF, plain text, Markdown, JSON and CSV"

/** What the bytes are: PDF by its signature, else the declared type, else the name's extension. */
export const kindOf = (bytes: Uint8Array, mime: string, filename: string): Kind | Unreadable => {
  if (pdfMagic.every((b, i) => bytes[i] === b)) return "pdf"
  const type = mime.split(";")[0]!.trim().toLowerCase()
  const fromMime = byMime[type]
  if (fromMime !== undefined) return fromMime
  const extension = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? ""
  const fromName = byExtension[extension]
  if (generic.has(type) && fromName !== undefined) return fromName
  const what = type !== "" && !generic.has(type) ? `type '${type}'` : extension !== "" ? `extension '.${extension}'` : "an unknown type"
  return new Unreadable(`has ${what}; the server reads ${supported} files`)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decodeText = (bytes: Uint8Array, kind: Kind): string | Unreadable => {
  let text: string
  try {
    text = utf8.decode(bytes).replace(/^\uFEFF/, "")
  } catch {
    return new Unreadable("is not valid UTF-8 text")
  }
  if (kind === "json") {
    try {
      JSON.parse(text)
    } catch {
      return new Unreadable("is not valid JSON")
    }
  }
  return text
}

const pdfText = async (bytes: Uint8Array): Promise<string | Unreadable> => {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>
  try {
    // A copy: PDF.js transfers (detaches) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false })
  } catch (e) {
    const name = e instanceof Error ? e.name : ""
    return new Unreadable(name === "PasswordException" ? "is an encrypted (password-protected) PDF" : "is not a readable PDF")
  }
  try {
    const { text } = await extractText(pdf, { mergePages: true })
    return text.trim() === "" ? new Unreadable("is a PDF without a text layer (a scan?); the server reads text only") : text
  } catch {
    return new Unreadable("is not a readable PDF")
  } finally {
    await pdf.destroy()
  }
}

/** The file's text, or why it cannot be read. */
export const fileText = (bytes: Uint8Array, mime: string, filename: string): Promise<string | Unreadable> => {
  const kind = kindOf(bytes, mime, filename)
  if (kind instanceof Unreadable) return Promise.resolve(kind)
  return kind === "pdf" ? pdfText(bytes) : Promise.resolve(decodeText(bytes, kind))
}
