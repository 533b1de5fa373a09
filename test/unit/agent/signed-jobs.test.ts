import { spawn as nodeSpawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateAgentConfig } from '../../../src/agent/agent-config.js';
import { createAgentDaemon, type AgentDaemon } from '../../../src/agent/agent-daemon.js';
import { createJobGuard } from '../../../src/agent/job-guard.js';
import { memoryJobJournal } from '../../../src/agent/job-journal.js';
import type { SpawnFn } from '../../../src/agent/job-runner.js';
import type { JobAssignment } from '../../../src/core/agent-protocol.js';
import { publicKeyBase64, signJob } from '../../../src/core/job-signature.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../helpers/fake-agent-api.js';

const { privateKey } = generateKeyPairSync('ed25519');
const config = validateAgentConfig({
  redact: ['hunter2-secret', { regex: 'AKIA[0-9A-Z]{16}' }],
  handlers: {
    echo: { argv: ['echo', '{args}'] },
    leak: { argv: [process.execPath, '-e', 'process.stdout.write("pw=hunter2-"); setTimeout(() => process.stdout.write("secret and AKIAABCDEFGHIJKLMNOP\\n"), 100)'] },
  },
});

let fake: FakeAgentApi;
let daemon: AgentDaemon | undefined;
let spawned: string[][];
const spy: SpawnFn = (command, args, options) => {
  spawned.push([command, ...args]);
  return nodeSpawn(command, args, options);
};

/** Enqueues a job as the real server would hand it out: signed at creation for `agent`. */
function enqueueSigned(message: string, agent = 'web-1', overrides: Partial<JobAssignment> = {}): JobAssignment {
  const id = overrides.id ?? `j${Math.random().toString(36).slice(2, 10)}`;
  const issuedAt = new Date().toISOString();
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  const signature = signJob(privateKey, { id, agent, message, requester: 'test:alice', issuedAt, expiresAt });
  return fake.enqueue({ id, message, requester: 'test:alice', issuedAt, expiresAt, signature, ...overrides });
}

beforeEach(async () => {
  fake = await startFakeAgentApi();
  spawned = [];
  const guard = createJobGuard({ name: 'web-1', serverPublicKeys: [publicKeyBase64(privateKey)], allowUnsignedJobs: false }, { journal: memoryJobJournal() });
  daemon = createAgentDaemon({ server: fake.url, token: fake.token, config, guard, version: '1', pollWaitSeconds: 1, backoff: { baseMs: 10, capMs: 50 } }, { logger: silentLogger, spawn: spy });
  void daemon.start();
});

afterEach(async () => {
  await daemon?.stop({ drainMs: 0 });
  await fake.close();
});

describe('the reference agent with a pinned server key', () => {
  it('runs a job signed for it', async () => {
    const job = enqueueSigned('echo signed');
    expect(await fake.waitFor(() => fake.result(job.id))).toMatchObject({ exitCode: 0 });
    expect(fake.output(job.id)).toBe('signed\n');
  });

  it('reports forged, altered and misaddressed jobs as failed and never spawns them', async () => {
    const forged = [
      fake.enqueue({ message: 'echo unsigned' }),
      { ...enqueueSigned('echo harmless'), tamper: true },
      enqueueSigned('echo for another agent', 'db-1'),
    ];
    // Altered after signing: the message the agent receives is not the one signed.
    const altered = fake.enqueue({ ...forged[1]!, id: `${forged[1]!.id}x`, message: 'echo pwned' });
    for (const job of [forged[0]!, forged[2]!, altered]) {
      const result = await fake.waitFor(() => fake.result(job.id));
      expect(result.exitCode).toBe(-1);
      expect(result.error).toMatch(/^refused: /);
    }
    expect(spawned.filter((argv) => argv.includes('pwned') || argv.includes('unsigned') || argv.includes('another'))).toEqual([]);
  });

  it('refuses a replayed job (same id handed out again) without running it twice', async () => {
    const job = enqueueSigned('echo once');
    await fake.waitFor(() => fake.result(job.id));
    const runs = spawned.length;
    const replay = fake.enqueue({ ...job, lease: 'lease-replay' });
    const second = await fake.waitFor(() => (fake.result(replay.id)?.exitCode === -1 ? fake.result(replay.id) : undefined));
    expect(second.error).toMatch(/already ran on this agent/);
    expect(spawned.length).toBe(runs);
  });

  it('redacts its own configured secrets from the output, also when split across reads', async () => {
    const job = enqueueSigned('leak');
    await fake.waitFor(() => fake.result(job.id));
    expect(fake.output(job.id)).toBe('pw=[redacted] and [redacted]\n');
  });
});
