// Order totals are computed here, server-side, in integer cents: clients send prices per line,
// never totals, and floating point never touches money.

export interface LineItemInput {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export interface PricedLine extends LineItemInput {
  readonly discountCents: number;
  readonly lineTotalCents: number;
}

export type PricingPath = "legacy" | "new-checkout";

export interface PricedOrder {
  readonly pricing: PricingPath;
  readonly items: readonly PricedLine[];
  readonly totalCents: number;
}

/** Lines of at least this many units get the volume discount on the new checkout path. */
export const VOLUME_DISCOUNT_MIN_QUANTITY = 10;
export const VOLUME_DISCOUNT_PERCENT = 10;

/**
 * The two total paths the `new-checkout` flag switches between:
 * - legacy: sum of quantity × unit price.
 * - new-checkout: the same, minus a volume discount on lines of VOLUME_DISCOUNT_MIN_QUANTITY or more units;
 *   the discount is truncated to whole cents (10% of 77 cents is 7 cents), the usual rule for percentage discounts.
 * Input bounds (validated by the route schema) keep every value below 2^53, so number arithmetic is exact.
 */
export function priceOrder(items: readonly LineItemInput[], newCheckout: boolean): PricedOrder {
  const pricing: PricingPath = newCheckout ? "new-checkout" : "legacy";
  const priced = items.map((item): PricedLine => {
    const gross = item.quantity * item.unitPriceCents;
    const discountCents =
      newCheckout && item.quantity >= VOLUME_DISCOUNT_MIN_QUANTITY ? Math.floor((gross * VOLUME_DISCOUNT_PERCENT) / 100) : 0;
    return { sku: item.sku, quantity: item.quantity, unitPriceCents: item.unitPriceCents, discountCents, lineTotalCents: gross - discountCents };
  });
  return { pricing, items: priced, totalCents: priced.reduce((sum, line) => sum + line.lineTotalCents, 0) };
}
