import { createHash, randomUUID } from "node:crypto";
import type { Cache } from "./cache.js";
import type { Query } from "./db.js";
import type { Flags } from "./flags.js";
import type { Instruments } from "./metrics.js";
import { priceOrder, type LineItemInput, type PricedLine, type PricingPath } from "./pricing.js";

export interface CreateOrderInput {
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly LineItemInput[];
}

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly status: "placed" | "cancelled";
  readonly currency: string;
  readonly items: readonly PricedLine[];
  readonly totalCents: number;
  readonly pricing: PricingPath;
  readonly createdAt: string;
  /** When the order last changed (its cancel); equal to createdAt for an order never changed. */
  readonly updatedAt: string;
}

export interface OrderPage {
  readonly orders: readonly Order[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export type CreateResult =
  | { readonly kind: "created"; readonly order: Order }
  | { readonly kind: "replayed"; readonly order: Order }
  | { readonly kind: "key-reused"; readonly order: Order };

interface OrderRow {
  id: string;
  seq: number;
  customer_id: string;
  status: "placed" | "cancelled";
  currency: string;
  items: PricedLine[];
  total_cents: number;
  pricing: PricingPath;
  request_hash: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, seq, customer_id, status, currency, items, total_cents, pricing, request_hash, created_at, updated_at";

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    items: row.items,
    totalCents: row.total_cents,
    pricing: row.pricing,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Same request ⇔ same hash: a retry with a different body under the same key is a client bug, not a retry. */
function requestHash(input: CreateOrderInput): string {
  const canonical = JSON.stringify([input.customerId, input.currency, input.items.map((i) => [i.sku, i.quantity, i.unitPriceCents])]);
  return createHash("sha256").update(canonical).digest("hex");
}

// Cursors are opaque to clients (base64url) so the ordering key can change without an API change.
// A cursor names the customer whose listing produced it (a short hash, not the id itself), so one
// customer's cursor passed to another customer's listing is refused rather than silently paging it.
const customerTag = (customerId: string) => createHash("sha256").update(customerId).digest("base64url").slice(0, 12);

export function encodeCursor(customerId: string, seq: number): string {
  return Buffer.from(`v2:${customerTag(customerId)}:${seq}`).toString("base64url");
}

export type DecodedCursor = { readonly afterSeq: number } | { readonly problem: string };

export function decodeCursor(customerId: string, cursor: string): DecodedCursor {
  const match = /^v2:([A-Za-z0-9_-]{12}):(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (match === null) return { problem: "is not a cursor returned by this API" };
  if (match[1] !== customerTag(customerId)) return { problem: "was returned for another customer's orders; start this listing without a cursor" };
  return { afterSeq: Number(match[2]) };
}

/**
 * The id as PostgreSQL prints a uuid (lower case). Ids are accepted in any letter case, so without
 * this one order would have one cache entry per spelling and a cancel would invalidate only one.
 */
export const canonicalId = (id: string) => id.toLowerCase();
const cacheKey = (id: string) => `orders:v2:${id}`;

export class OrderService {
  constructor(
    private readonly query: Query,
    private readonly cache: Cache,
    private readonly flags: Flags,
    private readonly instruments: Instruments,
  ) {}

  /**
   * Creates an order, or with an idempotency key returns the order an earlier request with that key
   * created. A key names one request across all customers: the same key with any other body
   * (including another customerId) is "key-reused" (422), never a second order. Exactly one order
   * per key, even for concurrent retries: the unique index makes a concurrent insert wait for the
   * first transaction, then do nothing.
   */
  async create(input: CreateOrderInput, idempotencyKey: string | undefined): Promise<CreateResult> {
    const priced = priceOrder(input.items, await this.flags.newCheckout(input.customerId));
    const hash = idempotencyKey === undefined ? null : requestHash(input);
    const inserted = await this.query<OrderRow>(
      "insert_order",
      `INSERT INTO orders (id, customer_id, currency, items, total_cents, pricing, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [randomUUID(), input.customerId, input.currency, JSON.stringify(priced.items), priced.totalCents, priced.pricing, idempotencyKey ?? null, hash],
    );
    const row = inserted.rows[0];
    if (row !== undefined) {
      this.instruments.orderCreated(priced.pricing);
      return { kind: "created", order: toOrder(row) };
    }
    const existing = await this.query<OrderRow>("select_order_by_key", `SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1`, [idempotencyKey]);
    const first = existing.rows[0];
    if (first === undefined) throw new Error("idempotency conflict without an existing order"); // cannot happen: rows are never deleted
    const replayed = first.request_hash === hash;
    this.instruments.idempotentReplay(replayed ? "replayed" : "key_reused");
    return { kind: replayed ? "replayed" : "key-reused", order: toOrder(first) };
  }

  /**
   * Read-through: cache first; on a miss (or the cache being down) the database, then fill the cache.
   * The fill is SET NX: if a cancel stored the cancelled order between this read and the fill, the
   * fill does nothing instead of putting back the row it read before the cancel.
   */
  async get(rawId: string): Promise<Order | undefined> {
    const id = canonicalId(rawId);
    const cached = await this.cache.get(cacheKey(id));
    this.instruments.cacheLookup(cached.result);
    if (cached.value !== undefined) return JSON.parse(cached.value) as Order;
    const result = await this.query<OrderRow>("select_order", `SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (row === undefined) return undefined; // not cached: ids are random, negative caching would only fill memory
    const order = toOrder(row);
    await this.cache.fill(cacheKey(id), JSON.stringify(order));
    return order;
  }

  /**
   * Cancels a placed order; cancelling a cancelled order returns it unchanged (updated_at stays).
   * After the commit the cancelled order is written to the cache (write-through, not a delete): a
   * delete would leave the key empty for a concurrent reader to fill with the row it read before the
   * commit; a stored value makes that reader's SET NX a no-op. Once this returns, no read of this
   * service returns the old status, unless Redis failed the write (counted and logged: the old entry
   * then lives until its TTL, the bound the cache has always had for an unreachable Redis).
   */
  async cancel(rawId: string): Promise<Order | undefined> {
    const id = canonicalId(rawId);
    const updated = await this.query<OrderRow>(
      "cancel_order",
      `UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1 AND status = 'placed' RETURNING ${COLUMNS}`,
      [id],
    );
    const row = updated.rows[0] ?? (await this.query<OrderRow>("select_order", `SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id])).rows[0];
    if (row === undefined) return undefined;
    const order = toOrder(row);
    if (!(await this.cache.replace(cacheKey(id), JSON.stringify(order)))) this.instruments.cacheInvalidationFailed();
    return order;
  }

  /** Newest first, keyset pagination on seq: stable under concurrent inserts and O(limit) at any depth. */
  async listByCustomer(customerId: string, limit: number, afterSeq: number | undefined): Promise<OrderPage> {
    const result = await this.query<OrderRow>(
      "list_orders",
      `SELECT ${COLUMNS} FROM orders
       WHERE customer_id = $1 AND ($2::bigint IS NULL OR seq < $2)
       ORDER BY seq DESC
       LIMIT $3`,
      [customerId, afterSeq ?? null, limit + 1], // one extra row tells whether another page exists
    );
    const rows = result.rows.slice(0, limit);
    const last = rows.at(-1);
    return { orders: rows.map(toOrder), nextCursor: result.rows.length > limit && last !== undefined ? encodeCursor(customerId, last.seq) : null };
  }
}
