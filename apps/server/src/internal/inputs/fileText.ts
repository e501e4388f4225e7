/**
 * One file's bytes → the text a local text model reads: PDF (its text layer, through unpdf — PDF.js built
 * for servers, no native canvas, runs on Node 20), plain text, Markdown, JSON, CSV. Anything else, and a
 * PDF that is encrypted, broken or has no text layer, is refused with the reason (the caller adds the param).
 * A PDF is read page by page within `PdfLimits` (pages, characters): past them it is refused, not truncated,
 * so the model never answers about half a document as if it were all of it.
 */
import { getDocumentProxy } from "unpdf"

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
const byExtension: Record<string, Kind> = {
  pdf: "pdf",
  txt: "text",
  text: "text",
  md: "markdown",
  markdown: "markdown",
  json: "json",
  csv: "csv"
}
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
  const what =
    type !== "" && !generic.has(type)
      ? `type '${type}'`
      : extension !== ""
        ? `extension '.${extension}'`
        : "an unknown type"
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

/** @category models */
export interface PdfLimits {
  /** Most pages a PDF may have. */
  readonly maxPages: number
  /** Most characters of text extracted from a PDF (a small PDF can inflate to far more text). */
  readonly maxChars: number
}

export const defaultPdfLimits: PdfLimits = { maxPages: 200, maxChars: 1_000_000 }

type Pdf = Awaited<ReturnType<typeof getDocumentProxy>>

/** One page's text, as unpdf's `extractText` joins it. */
const pageText = async (pdf: Pdf, pageNumber: number): Promise<string> => {
  const content = await (await pdf.getPage(pageNumber)).getTextContent()
  return content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : "")).join("")
}

/** Pages merged as unpdf's `extractText({ mergePages: true })` does. */
const mergePages = (texts: ReadonlyArray<string>): string =>
  texts
    .join("\n")
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")

const pdfText = async (bytes: Uint8Array, limits: PdfLimits): Promise<string | Unreadable> => {
  let pdf: Pdf
  try {
    // A copy: PDF.js transfers (detaches) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false })
  } catch (e) {
    const name = e instanceof Error ? e.name : ""
    return new Unreadable(
      name === "PasswordException" ? "is an encrypted (password-protected) PDF" : "is not a readable PDF"
    )
  }
  try {
    if (pdf.numPages > limits.maxPages)
      return new Unreadable(`is a PDF of ${pdf.numPages} pages; the server reads at most ${limits.maxPages}`)
    // One page at a time, so a PDF whose text outgrows the limit stops being read there.
    const texts: Array<string> = []
    let chars = 0
    for (let page = 1; page <= pdf.numPages; page++) {
      const text = await pageText(pdf, page)
      chars += text.length
      if (chars > limits.maxChars)
        return new Unreadable(`is a PDF with more text than the server's limit of ${limits.maxChars} characters`)
      texts.push(text)
    }
    const text = mergePages(texts)
    return text.trim() === ""
      ? new Unreadable("is a PDF without a text layer (a scan?); the server reads text only")
      : text
  } catch {
    return new Unreadable("is not a readable PDF")
  } finally {
    await pdf.destroy()
  }
}

/** The file's text, or why it cannot be read. */
export const fileText = (
  bytes: Uint8Array,
  mime: string,
  filename: string,
  limits: PdfLimits = defaultPdfLimits
): Promise<string | Unreadable> => {
  const kind = kindOf(bytes, mime, filename)
  if (kind instanceof Unreadable) return Promise.resolve(kind)
  return kind === "pdf" ? pdfText(bytes, limits) : Promise.resolve(decodeText(bytes, kind))
}
