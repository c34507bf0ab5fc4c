import type { FastifyInstance, FastifyReply } from "fastify";
import { ISO_4217_CURRENCIES } from "./currencies.js";
import type { CreateOrderInput, OrderService } from "./orders.js";
import { decodeCursor } from "./orders.js";

// JSON schemas are the single source of validation: Fastify compiles them (ajv, with type coercion
// off: see AJV_OPTIONS) and rejects bad input with 400 before a handler runs. Bounds are deliberate:
// they keep totals exact (< 2^53 cents) and requests cheap.
const idPattern = "^[A-Za-z0-9_-]{1,64}$";
const uuidPattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

const lineItem = {
  type: "object",
  additionalProperties: false,
  required: ["sku", "quantity", "unitPriceCents"],
  properties: {
    sku: { type: "string", pattern: idPattern },
    quantity: { type: "integer", minimum: 1, maximum: 1000 },
    unitPriceCents: { type: "integer", minimum: 0, maximum: 10_000_000 },
  },
} as const;

const pricedLine = {
  type: "object",
  properties: { ...lineItem.properties, discountCents: { type: "integer" }, lineTotalCents: { type: "integer" } },
} as const;

// Response schemas double as serializers (faster, and no field leaks that is not listed here).
const order = {
  type: "object",
  properties: {
    id: { type: "string" },
    customerId: { type: "string" },
    status: { type: "string" },
    currency: { type: "string" },
    items: { type: "array", items: pricedLine },
    totalCents: { type: "integer" },
    pricing: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" },
  },
} as const;

const errorBody = {
  type: "object",
  properties: {
    error: { type: "string" },
    message: { type: "string" },
    details: { type: "array", items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } } },
  },
} as const;

/** A 400 in the shape ajv's errors are reported in, for the checks a schema cannot express. */
export function badRequest(reply: FastifyReply, field: string, message: string) {
  return reply.code(400).send({ error: "Bad Request", message: "Request validation failed", details: [{ field, message }] });
}

const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: uuidPattern } } } as const;

export function registerOrderRoutes(app: FastifyInstance, orders: OrderService): void {
  app.post<{ Body: CreateOrderInput; Headers: { "idempotency-key"?: string } }>(
    "/v1/orders",
    {
      // Node joins repeated headers into one "a, b" string; two keys are ambiguous, so refuse them.
      preValidation: async (request, reply) => {
        const raw = request.raw.rawHeaders;
        let count = 0;
        for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === "idempotency-key") count += 1;
        if (count > 1) return badRequest(reply, "headers.idempotency-key", `must be sent once; the request has ${count} Idempotency-Key headers`);
        return undefined;
      },
      schema: {
        headers: { type: "object", properties: { "idempotency-key": { type: "string", minLength: 1, maxLength: 255 } } },
        body: {
          type: "object",
          additionalProperties: false,
          required: ["customerId", "currency", "items"],
          properties: {
            customerId: { type: "string", pattern: idPattern },
            currency: { type: "string", enum: ISO_4217_CURRENCIES },
            items: { type: "array", minItems: 1, maxItems: 100, items: lineItem },
          },
        },
        response: { 201: order, 422: errorBody },
      },
    },
    async (request, reply) => {
      const result = await orders.create(request.body, request.headers["idempotency-key"]);
      if (result.kind === "key-reused") {
        return reply.code(422).send({
          error: "Unprocessable Entity",
          message: "This Idempotency-Key was already used with a different request body (customerId, currency or items); use a new key for a new order.",
        });
      }
      // A replay answers exactly like the original, so a client that retried cannot tell the difference
      // except by this header.
      if (result.kind === "replayed") reply.header("idempotent-replayed", "true");
      return reply.code(201).header("location", `/v1/orders/${result.order.id}`).send(result.order);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/orders/:id",
    { schema: { params: idParams, response: { 200: order } } },
    async (request, reply) => {
      const found = await orders.get(request.params.id);
      if (found === undefined) return reply.code(404).send({ error: "Not Found", message: "No order with this id." });
      return found;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/orders/:id/cancel",
    { schema: { params: idParams, response: { 200: order } } },
    async (request, reply) => {
      const cancelled = await orders.cancel(request.params.id);
      if (cancelled === undefined) return reply.code(404).send({ error: "Not Found", message: "No order with this id." });
      return cancelled;
    },
  );

  app.get<{ Params: { customerId: string }; Querystring: { limit: string; cursor?: string } }>(
    "/v1/customers/:customerId/orders",
    {
      schema: {
        params: { type: "object", required: ["customerId"], properties: { customerId: { type: "string", pattern: idPattern } } },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            // A query string is text: the number is parsed here, not coerced by ajv.
            limit: { type: "string", default: "20" },
            cursor: { type: "string", maxLength: 64 },
          },
        },
        response: { 200: { type: "object", properties: { orders: { type: "array", items: order }, nextCursor: { type: ["string", "null"] } } } },
      },
    },
    async (request, reply) => {
      const { cursor, limit } = request.query;
      const { customerId } = request.params;
      const pageSize = /^[0-9]{1,3}$/.test(limit) ? Number(limit) : 0;
      if (pageSize < 1 || pageSize > 100) return badRequest(reply, "querystring.limit", "must be an integer from 1 to 100");
      const decoded = cursor === undefined ? undefined : decodeCursor(customerId, cursor);
      if (decoded !== undefined && "problem" in decoded) return badRequest(reply, "querystring.cursor", decoded.problem);
      return orders.listByCustomer(customerId, pageSize, decoded?.afterSeq);
    },
  );
}
