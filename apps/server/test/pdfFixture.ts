/**
 * Minimal real PDFs, written by hand (PDF 1.4: catalog, one page per text, Helvetica, a correct xref), so the
 * tests need no generator dependency. `encrypted` adds a standard security handler whose user password is
 * not empty: PDF.js cannot open it without the password, as with any password-protected PDF.
 */
const escapePdf = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`)

export const makePdf = (pages: ReadonlyArray<string>, options: { readonly encrypted?: boolean } = {}): Uint8Array => {
  const objects: Array<string> = []
  const add = (body: string) => objects.push(body)
  const pageIds = pages.map((_, i) => 3 + i * 2)
  const fontId = 3 + pages.length * 2
  add("<< /Type /Catalog /Pages 2 0 R >>")
  add(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`)
  pages.forEach((text, i) => {
    const stream = `BT /F1 12 Tf 72 720 Td (${escapePdf(text)}) Tj ET`
    add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i]! + 1} 0 R /Resources << /Font << /F1 ${fontId} 0 R >> >> >>`
    )
    add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`)
  })
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
  if (options.encrypted === true)
    add(`<< /Filter /Standard /V 1 /R 2 /O <${"ab".repeat(32)}> /U <${"cd".repeat(32)}> /P -4 >>`)
  let out = "%PDF-1.4\n"
  const offsets: Array<number> = []
  objects.forEach((body, i) => {
    offsets.push(out.length)
    out += `${i + 1} 0 obj\n${body}\nendobj\n`
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`
  const encrypt =
    options.encrypted === true ? ` /Encrypt ${objects.length} 0 R /ID [<${"01".repeat(16)}> <${"01".repeat(16)}>]` : ""
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${encrypt} >>\nstartxref\n${xref}\n%%EOF\n`
  return new TextEncoder().encode(out)
}

export const dataUrl = (bytes: Uint8Array, type: string) =>
  `data:${type};base64,${Buffer.from(bytes).toString("base64")}`
