import { NotFoundError, newJobId, type Agent, type Job, type JobsApi, type SubmitJobInput } from '../../src/core/index.js';
import { testAgent, testJob } from './memory-jobs-api.js';

/** A JobsApi whose agents and jobs a test sets directly (the web page's side panel reads it). */
export interface FakeJobsApi extends JobsApi {
  agents: Agent[];
  jobs: Job[];
  /** Output of running jobs as the agent streamed it so far, by job id (readOutput falls back to `job.output`). */
  outputs: Map<string, string>;
  /** Adds or replaces a job (by id) and returns it. */
  putJob(job: Partial<Job> & { id: string; agent: string }): Job;
}

/** An online agent as the web page shows it (with host and OS). */
export function fakeAgent(name: string, over: Partial<Agent> = {}): Agent {
  return testAgent(name, { version: '0.1.0', host: `${name}.example.test`, os: 'linux', ...over });
}

export function fakeJob(over: Partial<Job> & { id: string; agent: string }): Job {
  return testJob(over);
}

/** An in-memory JobsApi for the web adapter's tests; submit/cancel are minimal. */
export function createFakeJobsApi(agents: Agent[] = [], jobs: Job[] = []): FakeJobsApi {
  const api: FakeJobsApi = {
    agents,
    jobs,
    outputs: new Map(),
    putJob(partial) {
      const existing = api.jobs.findIndex((j) => j.id === partial.id);
      const job = existing >= 0 ? { ...api.jobs[existing]!, ...partial, updatedAt: new Date() } : fakeJob(partial);
      if (existing >= 0) api.jobs[existing] = job;
      else api.jobs.unshift(job);
      return job;
    },
    async submit(input: SubmitJobInput) {
      const job = api.putJob({ id: newJobId(), agent: input.agent, message: input.message, requester: input.requester, thread: input.thread });
      return { job, created: true };
    },
    async get(id) {
      return api.jobs.find((j) => j.id === id) ?? null;
    },
    async list(filter) {
      return api.jobs
        .filter((j) => filter.agent === undefined || j.agent === filter.agent)
        .filter((j) => filter.states === undefined || filter.states.includes(j.state))
        .filter((j) => filter.requester === undefined || j.requester.identity === filter.requester)
        .filter((j) => filter.parentId === undefined || j.parentId === filter.parentId)
        .filter((j) => filter.before === undefined || j.createdAt < filter.before)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, filter.limit);
    },
    async readOutput(id) {
      return api.outputs.get(id) ?? api.jobs.find((j) => j.id === id)?.output ?? '';
    },
    async cancel(id) {
      const job = api.jobs.find((j) => j.id === id);
      if (!job) throw new NotFoundError('SKADI_JOB_NOT_FOUND', `no job ${id}`);
      return api.putJob({ id, agent: job.agent, state: 'cancelled' });
    },
    async waitForFinal(id) {
      return api.jobs.find((j) => j.id === id) ?? null;
    },
    async listAgents() {
      return api.agents;
    },
    async getAgent(name) {
      return api.agents.find((a) => a.name === name) ?? null;
    },
  };
  return api;
}
