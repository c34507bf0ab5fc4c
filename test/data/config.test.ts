// The section's own rules, each refused with the exact key, value, rule and fix.
import { refusesEach, type ConfigCase } from "../harness";


const cases: ConfigCase[] = [
    {
        title: "a database storage ceiling below its size",
        overrides: { "platform:database": { allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 } },
        problems: [{
            key: "platform:database.maxAllocatedStorageGiB", value: 50, rule: "at least allocatedStorageGiB (100)",
            fix: "pulumi config set --path 'platform:database.maxAllocatedStorageGiB' 100",
        }],
    },
    {
        title: "backups switched off",
        overrides: { "platform:database": { backupRetentionDays: 0 } },
        problems: [{
            key: "platform:database.backupRetentionDays", value: 0,
            rule: "an integer from 1 to 35 (0 would turn off point-in-time recovery)",
            fix: "pulumi config set --path 'platform:database.backupRetentionDays' 1",
        }],
    },
    {
        title: "a multi-AZ cache with one node",
        overrides: { "platform:cache": { multiAz: true, nodeCount: 1 } },
        problems: [{
            key: "platform:cache.nodeCount", value: 1,
            rule: "at least 2 while cache.multiAz is true (automatic failover needs a replica in another AZ)",
            fix: "pulumi config set --path 'platform:cache.nodeCount' 2",
        }],
    },
    {
        title: "a recovery window Secrets Manager does not accept",
        overrides: { "platform:secrets": { recoveryWindowDays: 3 } },
        problems: [{
            key: "platform:secrets.recoveryWindowDays", value: 3,
            rule: "0, or an integer from 7 to 30 (Secrets Manager's range)",
            fix: "pulumi config set --path 'platform:secrets.recoveryWindowDays' 0",
        }],
    },
];

describe("data config", () => {
    refusesEach(cases);
});
