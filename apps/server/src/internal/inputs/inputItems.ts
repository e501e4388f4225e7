/** `GET /v1/responses/{id}/input_items`: OpenAI's cursor pagination over a response's input items. */
import type { StoredItem } from "../../ResponseStore.js"
import * as ApiError from "../../ApiError.js"

export interface Page {
  readonly object: "list"
  readonly data: ReadonlyArray<StoredItem>
  readonly first_id: string | null
  readonly last_id: string | null
  readonly has_more: boolean
}

export const paginate = (
  items: ReadonlyArray<StoredItem>,
  query: Readonly<Record<string, string | undefined>>
): Page | ApiError.ApiError => {
  const order = query.order ?? "desc"
  if (order !== "asc" && order !== "desc") return ApiError.badRequest("order must be 'asc' or 'desc'.", "order")
  const limit = query.limit === undefined ? 20 : Number(query.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return ApiError.badRequest("limit must be an integer between 1 and 100.", "limit")
  let list = order === "asc" ? [...items] : [...items].reverse()
  for (const key of ["after", "before"] as const) {
    const cursor = query[key]
    if (cursor === undefined) continue
    const at = list.findIndex((item) => item.id === cursor)
    if (at < 0) return ApiError.badRequest(`No input item with id '${cursor}'.`, key)
    list = key === "after" ? list.slice(at + 1) : list.slice(0, at)
  }
  // `before` pages backwards: the items nearest the cursor.
  const page =
    query.before !== undefined && query.after === undefined
      ? list.slice(Math.max(0, list.length - limit))
      : list.slice(0, limit)
  const hasMore =
    query.before !== undefined && query.after === undefined ? list.length > limit : list.length > page.length
  return {
    object: "list",
    data: page,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
    has_more: hasMore
  }
}
