import type { CommandSpec } from '../src/core/index.js';
import { agentsCommand } from './agents.js';
import { cancelCommand } from './cancel.js';
import { helpCommand } from './help.js';
import { jobsCommand } from './jobs.js';
import { rerunCommand } from './rerun.js';
import { statusCommand } from './status.js';

/** The built-in chat commands, in the order `help` lists them. */
export const BUILTIN_COMMANDS: readonly CommandSpec[] = Object.freeze([helpCommand, agentsCommand, statusCommand, jobsCommand, cancelCommand, rerunCommand]);

export { agentsCommand, cancelCommand, helpCommand, jobsCommand, rerunCommand, statusCommand };
