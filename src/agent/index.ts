/**
 * The reference agent, for the CLI (`skadi agent`) and for the server's embedded agent.
 * Everything else in src/agent is internal.
 */
export { createAgentDaemon, type AgentDaemon, type AgentDaemonDeps, type AgentDaemonOptions } from './agent-daemon.js';
export { DEMO_AGENT_CONFIG, loadAgentConfig, parseAgentConfig, validateAgentConfig, type AgentConfig, type HandlerConfig } from './agent-config.js';
export { createAgentClient, type AgentClient, type AgentClientOptions } from './agent-client.js';
export { AgentApiError } from './agent-api-error.js';
