/**
 * Messages between the bench runner (which hosts the server) and the load process (agents and
 * the job submitter), over the fork() IPC channel. Times are monoMs() of the sending process.
 */

export interface AgentCredentials {
  name: string;
  token: string;
}

export interface LoadAgentOptions {
  /** Jobs one agent runs at once; it polls with max = free slots (as the reference agent does). */
  capacity: number;
  /** Share of jobs (0..1) that send one small output chunk before their result. */
  outputRatio: number;
  /** Long-poll hold the agents ask for, in seconds. */
  pollWaitSeconds: number;
}

export type ToLoad =
  | { type: 'init'; server: string; agents: AgentCredentials[]; userToken: string; agent: LoadAgentOptions; submitSockets: number; rampPerSec?: number }
  | { type: 'clock'; seq: number }
  /** Stops these agents at once (their held polls are aborted, their sockets closed), as if their hosts died. */
  | { type: 'silence'; names: string[] }
  /** When the agents received (and finished) these jobs, whoever submitted them. */
  | { type: 'collect'; ids: string[] }
  | { type: 'stats' }
  | { type: 'latency'; ratePerSec: number; durationMs: number; drainMs: number }
  | { type: 'throughput'; inFlight: number; durationMs: number; drainMs: number }
  | { type: 'stop' };

/** Per job: id, POST sent, POST answered, poll answer received by the agent, result answered (NaN when it did not happen). */
export type JobRecord = [id: string, postSent: number, postAnswered: number, received: number, resulted: number];

export interface LoadCounters {
  submitted: number;
  submitErrors: number;
  received: number;
  completed: number;
  agentErrors: number;
  polls: number;
  /** CPU time of the load process during the run, ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
  wallMs: number;
  /** First error messages seen, for the report. */
  errorSamples: string[];
}

export type FromLoad =
  | { type: 'ready' }
  | { type: 'clock'; seq: number; t: number }
  | { type: 'latency-done'; records: JobRecord[]; counters: LoadCounters }
  | { type: 'throughput-done'; counters: LoadCounters; completions: number[] }
  | { type: 'silenced'; lastPollSent: Array<[name: string, at: number]> }
  | { type: 'collected'; received: Array<[id: string, received: number, resulted: number]> }
  | { type: 'stats'; stats: ProcessStats & { agents: number; polling: number; polls: number; agentErrors: number; errorSamples: string[] } }
  | { type: 'failed'; message: string };

/** What a bench child process says about itself. */
export interface ProcessStats {
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap committed (used + free space it keeps), and memory of C++ objects tied to JS ones (buffers). */
  heapTotalBytes: number;
  externalBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** monoMs() when sampled. */
  at: number;
  /** Soft limit on open files (Node raises it to the hard limit at start). */
  fdLimit: number | null;
  openFds: number | null;
}
