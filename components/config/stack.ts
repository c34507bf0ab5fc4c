/**
 * The stack's own settings (top-level keys: environment, protect, decommission, tags), which every
 * layer reads; the layers' sections sit beside them in the schema (components/config/index.ts).
 */
import { z } from "zod";
import { field } from "./engine";

export const ENVIRONMENTS = ["review", "dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** What identifies a stack to every resource: its names, region, environment and extra tags. */
export interface StackIdentity {
    /** Pulumi project name (the config namespace). */
    readonly project: string;
    /** Pulumi stack name. */
    readonly stack: string;
    /** AWS region, from `aws:region`. */
    readonly region: string;
    readonly environment: Environment;
    readonly tags: Readonly<Record<string, string>>;
}

export const stackSettings = {
    environment: field(z.enum(ENVIRONMENTS), {
        doc: 'Which environment the stack is; tags every resource. "prod" turns on the production guard rails (checks, not overrides).',
        rule: 'one of "review", "dev", "prod"',
    }).default("review"),
    protect: field(z.boolean(), {
        doc: "The one safety knob of stateful resources: deletion protection, final snapshots and Pulumi `protect` when true; destroyable with no snapshot when false.",
        rule: "true or false",
    }).default(false),
    decommission: field(z.boolean(), {
        doc: "Lifts the production guard rails, so that a prod stack can be unprotected and destroyed: set it with protect false, `pulumi up` (deletion protection comes off), then `pulumi destroy`. An explicit, reviewable step instead of editing the rules.",
        rule: "true or false",
    }).default(false),
    tags: field(z.record(z.string().regex(/^[\w .:/=+@-]{1,128}$/), z.string().max(256)), {
        doc: "Extra tags for every AWS resource (cost centre, owner). project, stack, environment and managed-by are always set.",
        rule: "a map of tag keys (1-128 letters, digits, spaces and _.:/=+-@) to values of up to 256 characters",
        example: { owner: "platform-team" },
    }).default({}),
};
