// Feature flags through OpenFeature, evaluated in-process from a flagd flag definition file (the
// format flagd and its operator use) mounted from a ConfigMap.
//
// Why an in-house provider instead of @openfeature/flagd-provider's in-process file mode: that
// provider pulls in gRPC for its other modes, and its file mode treats a missing file as a fatal
// provider error. This one is ~100 lines over @openfeature/flagd-core (the same evaluation engine
// the official provider uses, so targeting, fractional rollouts and flag sets behave identically),
// starts with safe defaults when the file is missing, keeps the last good definitions when an edit
// is invalid, and polls instead of using fs.watch: Kubernetes updates a mounted ConfigMap by
// swapping a symlink (..data), which inotify watches on the file itself do not see.
import { readFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { FlagdCore } from "@openfeature/flagd-core";
import {
  OpenFeature,
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Logger,
  type Provider,
  type ResolutionDetails,
} from "@openfeature/server-sdk";

export interface FlagLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const EMPTY_DEFINITIONS = JSON.stringify({ flags: {} });

export class FlagdFileProvider implements Provider {
  readonly metadata = { name: "flagd-file" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  private core = new FlagdCore();
  private lastContent: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly pollIntervalMs: number,
    private readonly logger: FlagLogger,
  ) {}

  async initialize(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), this.pollIntervalMs);
    this.timer.unref(); // polling alone must not keep the process alive
  }

  async onClose(): Promise<void> {
    clearInterval(this.timer);
  }

  /** Called at every poll (and explicit reload), before the file is read: results derived from the definitions expire. */
  onPoll: () => void = () => undefined;

  /** Reads the file; applies it when its content changed. Exposed so tests need not wait for a poll. */
  async reload(): Promise<void> {
    let content: string;
    try {
      content = await readFile(this.path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (this.lastContent !== EMPTY_DEFINITIONS) {
        this.logger.warn({ path: this.path, code }, "flag file not readable; every flag evaluates to its code default");
      }
      content = EMPTY_DEFINITIONS;
    }
    this.onPoll();
    if (content === this.lastContent) return;
    let changed: string[];
    try {
      const next = new FlagdCore();
      changed = next.setConfigurations(content);
      this.core = next;
    } catch (error) {
      this.logger.warn({ path: this.path, err: { message: (error as Error).message } }, "flag file invalid; keeping the previous definitions");
      this.lastContent = content; // do not log the same broken content on every poll
      return;
    }
    const firstLoad = this.lastContent === undefined;
    this.lastContent = content;
    this.onPoll(); // again: an evaluation may have run against the old definitions while the file was read
    this.logger.info({ path: this.path, flags: [...this.core.getFlags().keys()] }, "flag definitions loaded");
    if (!firstLoad) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }

  async resolveBooleanEvaluation(key: string, fallback: boolean, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<boolean>> {
    return this.core.resolveBooleanEvaluation(key, fallback, context, logger);
  }
  async resolveStringEvaluation(key: string, fallback: string, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<string>> {
    return this.core.resolveStringEvaluation(key, fallback, context, logger);
  }
  async resolveNumberEvaluation(key: string, fallback: number, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<number>> {
    return this.core.resolveNumberEvaluation(key, fallback, context, logger);
  }
  async resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, context: EvaluationContext, logger: Logger): Promise<ResolutionDetails<T>> {
    return this.core.resolveObjectEvaluation(key, fallback, context, logger);
  }
}

/** The flags this service uses, with their code defaults: what runs when no flag file is mounted. */
export interface Flags {
  newCheckout(customerId: string): Promise<boolean>;
  close(): Promise<void>;
}

export const FLAG_DEFAULTS = { "new-checkout": false } as const;
const MEMO_MAX_ENTRIES = 10_000;

export async function createFlags(path: string, pollIntervalMs: number, logger: FlagLogger): Promise<Flags & { provider: FlagdFileProvider }> {
  const provider = new FlagdFileProvider(path, pollIntervalMs, logger);
  // A domain per service instance keeps several instances (tests) from sharing the global provider.
  const domain = `orders-service-${randomUUID()}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  // A customer's result is reused until the next poll of the file (FLAGS_POLL_INTERVAL_MS): an
  // OpenFeature evaluation per create was a measurable share of its cost, and a change of the file is
  // seen no later than before. Bounded: cleared when it reaches MEMO_MAX_ENTRIES.
  const memo = new Map<string, boolean>();
  provider.onPoll = () => memo.clear();
  return {
    provider,
    // The customer id is the targeting key, so a fractional rollout keeps each customer on one path.
    async newCheckout(customerId) {
      const known = memo.get(customerId);
      if (known !== undefined) return known;
      const value = await client.getBooleanValue("new-checkout", FLAG_DEFAULTS["new-checkout"], { targetingKey: customerId });
      if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
      memo.set(customerId, value);
      return value;
    },
    close: () => provider.onClose(),
  };
}
