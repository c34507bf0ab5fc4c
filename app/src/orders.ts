import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import type { Cache } from "./cache.js";
import type { Flags } from "./flags.js";
import type { Metrics } from "./metrics.js";
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
}

const COLUMNS = "id, seq, customer_id, status, currency, items, total_cents, pricing, request_hash, created_at";

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
  };
}

/** Same request ⇔ same hash: a retry with a different body under the same key is a client bug, not a retry. */
function requestHash(input: CreateOrderInput): string {
  const canonical = JSON.stringify([input.customerId, input.currency, input.items.map((i) => [i.sku, i.quantity, i.unitPriceCents])]);
  return createHash("sha256").update(canonical).digest("hex");
}

// Cursors are opaque to clients (base64url) so the ordering key can change without an API change.
export function encodeCursor(seq: number): string {
  return Buffer.from(`v1:${seq}`).toString("base64url");
}

export function decodeCursor(cursor: string): number | undefined {
  const match = /^v1:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match === null ? undefined : Number(match[1]);
}

const cacheKey = (id: string) => `orders:v1:${id}`;

export class OrderService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: Cache,
    private readonly flags: Flags,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Creates an order, or with an idempotency key returns the order an earlier request with that key
   * created. Exactly one order per (customer, key), even for concurrent retries: the unique index
   * makes a concurrent insert wait for the first transaction, then do nothing.
   */
  async create(input: CreateOrderInput, idempotencyKey: string | undefined): Promise<CreateResult> {
    const priced = priceOrder(input.items, await this.flags.newCheckout(input.customerId));
    const hash = idempotencyKey === undefined ? null : requestHash(input);
    const inserted = await this.pool.query<OrderRow>(
      `INSERT INTO orders (id, customer_id, currency, items, total_cents, pricing, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (customer_id, idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [randomUUID(), input.customerId, input.currency, JSON.stringify(priced.items), priced.totalCents, priced.pricing, idempotencyKey ?? null, hash],
    );
    const row = inserted.rows[0];
    if (row !== undefined) {
      this.metrics.ordersCreated.inc({ pricing: priced.pricing });
      return { kind: "created", order: toOrder(row) };
    }
    const existing = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE customer_id = $1 AND idempotency_key = $2`, [
      input.customerId,
      idempotencyKey,
    ]);
    const first = existing.rows[0];
    if (first === undefined) throw new Error("idempotency conflict without an existing order"); // cannot happen: rows are never deleted
    return { kind: first.request_hash === hash ? "replayed" : "key-reused", order: toOrder(first) };
  }

  /** Read-through: cache first; on a miss (or the cache being down) the database, then fill the cache. */
  async get(id: string): Promise<Order | undefined> {
    const cached = await this.cache.get(cacheKey(id));
    this.metrics.cacheRequests.inc({ result: cached.result });
    if (cached.value !== undefined) return JSON.parse(cached.value) as Order;
    const result = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (row === undefined) return undefined; // not cached: ids are random, negative caching would only fill memory
    const order = toOrder(row);
    await this.cache.set(cacheKey(id), JSON.stringify(order));
    return order;
  }

  /** Cancels a placed order. The cache entry is deleted after the database commit, so the next read is fresh. */
  async cancel(id: string): Promise<Order | undefined> {
    const result = await this.pool.query<OrderRow>(
      `UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    await this.cache.delete(cacheKey(id));
    const row = result.rows[0];
    return row === undefined ? undefined : toOrder(row);
  }

  /** Newest first, keyset pagination on seq: stable under concurrent inserts and O(limit) at any depth. */
  async listByCustomer(customerId: string, limit: number, afterSeq: number | undefined): Promise<OrderPage> {
    const result = await this.pool.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders
       WHERE customer_id = $1 AND ($2::bigint IS NULL OR seq < $2)
       ORDER BY seq DESC
       LIMIT $3`,
      [customerId, afterSeq ?? null, limit + 1], // one extra row tells whether another page exists
    );
    const rows = result.rows.slice(0, limit);
    const last = rows.at(-1);
    return { orders: rows.map(toOrder), nextCursor: result.rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null };
  }
}
