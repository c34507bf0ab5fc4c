import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProviderEvents } from "@openfeature/server-sdk";
import { createFlags, FlagdFileProvider } from "../src/flags.js";

const quiet = { info: () => undefined, warn: () => undefined };

function definitions(defaultVariant: "on" | "off", extra: object = {}): string {
  return JSON.stringify({
    $schema: "https://flagd.dev/schema/v0/flags.json",
    flags: { "new-checkout": { state: "ENABLED", variants: { on: true, off: false }, defaultVariant, ...extra } },
  });
}

describe("flagd file provider", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "orders-flags-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the code default (new-checkout off) when the file is missing", async () => {
    const warnings: string[] = [];
    const flags = await createFlags(join(dir, "absent.json"), 60_000, { info: () => undefined, warn: (_o, msg) => warnings.push(msg) });
    try {
      assert.equal(await flags.newCheckout("c1"), false);
      assert.deepEqual(warnings, ["flag file not readable; every flag evaluates to its code default"]);
    } finally {
      await flags.close();
    }
  });

  it("evaluates the file's variant", async () => {
    const path = join(dir, "flags.json");
    writeFileSync(path, definitions("on"));
    const flags = await createFlags(path, 60_000, quiet);
    try {
      assert.equal(await flags.newCheckout("c1"), true);
    } finally {
      await flags.close();
    }
  });

  it("reloads by polling when the file changes, and emits ConfigurationChanged", async () => {
    const path = join(dir, "flags.json");
    writeFileSync(path, definitions("off"));
    const flags = await createFlags(path, 50, quiet);
    try {
      assert.equal(await flags.newCheckout("c1"), false);
      const changed = new Promise<string[] | undefined>((resolve) =>
        flags.provider.events.addHandler(ProviderEvents.ConfigurationChanged, (details) => resolve(details?.flagsChanged as string[] | undefined)),
      );
      writeFileSync(path, definitions("on"));
      assert.deepEqual(await changed, ["new-checkout"]);
      assert.equal(await flags.newCheckout("c1"), true);
    } finally {
      await flags.close();
    }
  });

  it("follows a ConfigMap-style symlink swap (..data → new directory)", async () => {
    // How the kubelet updates a mounted ConfigMap: write a new directory, atomically repoint ..data.
    mkdirSync(join(dir, "v1"));
    writeFileSync(join(dir, "v1", "flags.json"), definitions("off"));
    symlinkSync("v1", join(dir, "..data"));
    symlinkSync(join("..data", "flags.json"), join(dir, "flags.json"));
    const provider = new FlagdFileProvider(join(dir, "flags.json"), 60_000, quiet);
    await provider.initialize();
    try {
      assert.equal((await provider.resolveBooleanEvaluation("new-checkout", false, {}, console)).value, false);
      mkdirSync(join(dir, "v2"));
      writeFileSync(join(dir, "v2", "flags.json"), definitions("on"));
      symlinkSync("v2", join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
      await provider.reload();
      assert.equal((await provider.resolveBooleanEvaluation("new-checkout", false, {}, console)).value, true);
    } finally {
      await provider.onClose();
    }
  });

  it("keeps the last good definitions when the file becomes invalid, and defaults when it is removed", async () => {
    const path = join(dir, "flags.json");
    writeFileSync(path, definitions("on"));
    const warnings: string[] = [];
    const provider = new FlagdFileProvider(path, 60_000, { info: () => undefined, warn: (_o, msg) => warnings.push(msg) });
    await provider.initialize();
    try {
      writeFileSync(path, "{ not json");
      await provider.reload();
      assert.equal((await provider.resolveBooleanEvaluation("new-checkout", false, {}, console)).value, true);
      assert.deepEqual(warnings, ["flag file invalid; keeping the previous definitions"]);
      rmSync(path);
      await provider.reload();
      const resolved = await provider.resolveBooleanEvaluation("new-checkout", false, {}, console);
      assert.equal(resolved.value, false);
      assert.equal(resolved.errorCode, "FLAG_NOT_FOUND");
    } finally {
      await provider.onClose();
    }
  });

  it("supports flagd targeting: a fractional rollout keeps each customer on one path", async () => {
    const path = join(dir, "flags.json");
    writeFileSync(path, definitions("off", { targeting: { fractional: [["on", 50], ["off", 50]] } }));
    const flags = await createFlags(path, 60_000, quiet);
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => flags.newCheckout(`customer-${i}`)));
      const on = results.filter(Boolean).length;
      assert.ok(on > 60 && on < 140, `${on} of 200 on`);
      assert.equal(await flags.newCheckout("customer-7"), results[7]);
    } finally {
      await flags.close();
    }
  });
});

describe("shipped flag file (flags/flags.json, mounted by docker-compose)", () => {
  it("turns new-checkout on for beta- customers only", async () => {
    const flags = await createFlags(join(__dirname, "..", "flags", "flags.json"), 60_000, quiet);
    try {
      assert.equal(await flags.newCheckout("beta-42"), true);
      assert.equal(await flags.newCheckout("cust-42"), false);
    } finally {
      await flags.close();
    }
  });
});
