import { destroySharedPostgres } from "./services.js";

// Root hooks: the shared PostgreSQL cluster is removed however the run ends.
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await destroySharedPostgres();
  },
};
