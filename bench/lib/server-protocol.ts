/**
 * Messages between the bench runner and a server process (bench/server/server-process.ts): the
 * server under test in a process of its own, for the scenarios that measure its memory and idle
 * CPU (scale, offline detection) or need a configuration of their own (chat path). Times are
 * monoMs(), which all processes share.
 */
import type { ProcessLoad } from './bench-server.js';
import type { AgentCredentials, ProcessStats } from './protocol.js';

export interface ServerStackInfo {
  databaseUrl: string;
  redisUrl: string | null;
  keyPrefix: string;
  dataDir: string;
}

export type ToServer =
  | { type: 'start'; stack: ServerStackInfo; logLevel: string; flags: Record<string, unknown>; watchAgentStatus: boolean }
  | { type: 'create-agents'; count: number; prefix: string; concurrency: number }
  /** With `gc`, after a full garbage collection (the server process runs with --expose-gc): live memory rather than what the heap holds. */
  | { type: 'stats'; gc?: boolean }
  | { type: 'count-online' }
  | { type: 'reset' }
  | { type: 'measure-start' }
  | { type: 'measure-stop' }
  | { type: 'collect'; ids: string[] }
  | { type: 'agent-status' }
  /** CPU profile of the server process (node:inspector) between start and stop, written to `file` (.cpuprofile). */
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string }
  /** A V8 heap snapshot (after a full GC) into `file` (.heapsnapshot; summarise with bench/tools/heap-summary). */
  | { type: 'heap-snapshot'; file: string }
  | { type: 'stop' };

export type ServerStats = ProcessStats & { heldPolls: number };

export type FromServer =
  | { type: 'started'; url: string; userToken: string; stats: ServerStats }
  | { type: 'agents-created'; agents: AgentCredentials[]; ms: number }
  | { type: 'stats'; stats: ServerStats }
  | { type: 'online'; online: number; total: number }
  | { type: 'ok' }
  | { type: 'measured'; load: ProcessLoad }
  /** Per job: accepted, final event consumed, claim start, claim end (NaN when not seen). */
  | { type: 'collected'; jobs: Array<[id: string, accepted: number, final: number, claimStart: number, claimEnd: number]> }
  | { type: 'agent-status'; offline: Array<[name: string, at: number]>; online: Array<[name: string, at: number]> }
  | { type: 'failed'; message: string };
