/**
 * A bench server process: the real server (startServer, through startBenchServer) alone in its
 * process, so its RSS and CPU are its own. Forked by the runner (bench/lib/server-process.ts);
 * it exits when told to stop or when the IPC channel closes (the runner died).
 */
import { startBenchServer, type BenchServer, type ProcessLoad } from '../lib/bench-server.js';
import { processStats } from '../lib/process-stats.js';
import type { FromServer, ServerStats, ToServer } from '../lib/server-protocol.js';
import { monoMs } from '../lib/clock.js';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { writeHeapSnapshot } from 'node:v8';

let bench: BenchServer | null = null;
let stopMeasure: (() => ProcessLoad) | null = null;
let profiler: Session | null = null;

function send(msg: FromServer): void {
  process.send?.(msg);
}

function stats(): ServerStats {
  return { ...processStats(), heldPolls: bench?.server.service.heldPolls() ?? 0 };
}

function need(): BenchServer {
  if (!bench) throw new Error('the server is not started');
  return bench;
}

async function handle(msg: ToServer): Promise<void> {
  switch (msg.type) {
    case 'start': {
      bench = await startBenchServer({ id: 'sqlite', label: '', ...msg.stack, dispose: async () => undefined }, { agents: 0, logLevel: msg.logLevel, flags: msg.flags, watchAgentStatus: msg.watchAgentStatus });
      send({ type: 'started', url: bench.url, userToken: bench.userToken, stats: stats() });
      return;
    }
    case 'create-agents': {
      const t0 = monoMs();
      const agents = await need().createAgents(msg.count, msg.prefix, msg.concurrency);
      send({ type: 'agents-created', agents, ms: monoMs() - t0 });
      return;
    }
    case 'stats':
      if (msg.gc) (globalThis as { gc?: () => void }).gc?.();
      send({ type: 'stats', stats: stats() });
      return;
    case 'count-online': {
      const listed = await need().server.service.listAgents();
      send({ type: 'online', online: listed.filter((a) => a.status === 'online').length, total: listed.length });
      return;
    }
    case 'reset':
      need().reset();
      send({ type: 'ok' });
      return;
    case 'measure-start':
      stopMeasure = need().measure();
      send({ type: 'ok' });
      return;
    case 'measure-stop': {
      if (!stopMeasure) throw new Error('measure-stop without measure-start');
      const load = stopMeasure();
      stopMeasure = null;
      send({ type: 'measured', load });
      return;
    }
    case 'collect': {
      const b = need();
      send({
        type: 'collected',
        jobs: msg.ids.map((id) => {
          const c = b.claims.get(id);
          return [id, b.accepted.get(id) ?? NaN, b.finals.get(id) ?? NaN, c?.start ?? NaN, c?.end ?? NaN];
        }),
      });
      return;
    }
    case 'agent-status': {
      const b = need();
      send({ type: 'agent-status', offline: [...b.agentStatus.offline], online: [...b.agentStatus.online] });
      return;
    }
    case 'profile-start':
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
      await profiler.post('Profiler.start');
      send({ type: 'ok' });
      return;
    case 'profile-stop': {
      if (!profiler) throw new Error('profile-stop without profile-start');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = null;
      await writeFile(msg.file, JSON.stringify(profile));
      send({ type: 'ok' });
      return;
    }
    case 'heap-snapshot':
      (globalThis as { gc?: () => void }).gc?.();
      writeHeapSnapshot(msg.file);
      send({ type: 'ok' });
      return;
    case 'stop':
      await bench?.close();
      bench = null;
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (msg: ToServer) => {
  handle(msg).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
process.on('disconnect', () => {
  void (bench?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
