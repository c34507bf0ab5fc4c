import assert from "node:assert/strict";
import { priceOrder } from "../src/pricing.js";

describe("order totals", () => {
  const items = [
    { sku: "single", quantity: 1, unitPriceCents: 999 },
    { sku: "nine", quantity: 9, unitPriceCents: 333 },
    { sku: "ten", quantity: 10, unitPriceCents: 333 },
    { sku: "bulk", quantity: 1000, unitPriceCents: 10_000_000 },
  ];

  it("legacy path: the sum of quantity × unit price, no discount", () => {
    const priced = priceOrder(items, false);
    assert.equal(priced.pricing, "legacy");
    assert.deepEqual(priced.items.map((l) => [l.discountCents, l.lineTotalCents]), [[0, 999], [0, 2997], [0, 3330], [0, 10_000_000_000]]);
    assert.equal(priced.totalCents, 999 + 2997 + 3330 + 10_000_000_000);
  });

  it("new-checkout path: 10% off lines of 10+ units, discount rounded down to the cent", () => {
    const priced = priceOrder(items, true);
    assert.equal(priced.pricing, "new-checkout");
    // 10 × 333 = 3330 → discount 333; 1000 × 10,000,000 → discount 1,000,000,000; 9 units: none.
    assert.deepEqual(priced.items.map((l) => [l.discountCents, l.lineTotalCents]), [[0, 999], [0, 2997], [333, 2997], [1_000_000_000, 9_000_000_000]]);
    assert.equal(priced.totalCents, 999 + 2997 + 2997 + 9_000_000_000);
  });

  it("truncates a fractional discount to whole cents", () => {
    const priced = priceOrder([{ sku: "odd", quantity: 11, unitPriceCents: 7 }], true); // 77 → 7.7 → 7
    assert.equal(priced.items[0]?.discountCents, 7);
    assert.equal(priced.totalCents, 70);
  });

  it("keeps the largest valid order exact (below 2^53 cents)", () => {
    const largest = Array.from({ length: 100 }, (_, i) => ({ sku: `s${i}`, quantity: 1000, unitPriceCents: 10_000_000 }));
    const total = priceOrder(largest, false).totalCents;
    assert.equal(total, 1_000_000_000_000);
    assert.ok(Number.isSafeInteger(total));
  });
});
