import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/core/index.js';
import { agentStoreContract } from './stores-agents.contract.js';
import { fanOutStoreContract } from './stores-fan-out.contract.js';
import { jobClaimsContract } from './stores-claims.contract.js';
import { jobStoreContract } from './stores-jobs.contract.js';
import { messagingContract } from './stores-messaging.contract.js';
import type { StoresContext } from './stores-fixtures.js';

/**
 * The storage contract, run unchanged against every backend. `factory` opens a new Stores on
 * one shared, migrated database each time it is called (another connection to the same
 * database), so the suite can race two "processes" against each other. Tests share the
 * database and keep apart by unique names.
 */
export function storesContract(name: string, factory: () => Promise<Stores>): void {
  describe(`stores contract: ${name}`, () => {
    let stores: Stores | undefined;
    const ctx: StoresContext = {
      stores: () => {
        if (!stores) throw new Error('stores not open (beforeAll failed)');
        return stores;
      },
      open: factory,
    };

    beforeAll(async () => {
      stores = await factory();
    });

    afterAll(async () => {
      await stores?.close();
    });

    it('answers ping, and a closed Stores refuses work', async () => {
      await ctx.stores().ping();
      const extra = await factory();
      await extra.close();
      await extra.close(); // idempotent
      await expect(extra.ping()).rejects.toThrow();
    });

    jobStoreContract(ctx);
    jobClaimsContract(ctx);
    agentStoreContract(ctx);
    messagingContract(ctx);
    fanOutStoreContract(ctx);
  });
}
