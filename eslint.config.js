import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What the web page's scripts may use from the browser. Listed here rather than taken from the
 * `globals` package, which is only a transitive dependency of eslint: a name missing below is
 * a lint error that asks to be added, not a silent `undefined` at run time.
 */
const BROWSER_GLOBALS = [
  'window', 'document', 'location', 'history', 'navigator', 'console',
  'localStorage', 'sessionStorage', 'fetch', 'crypto', 'btoa', 'atob',
  'URL', 'URLSearchParams', 'Blob', 'File', 'FormData', 'Headers', 'Request', 'Response',
  'EventSource', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame', 'queueMicrotask', 'structuredClone',
  'CSS', 'Event', 'CustomEvent', 'MutationObserver', 'HTMLElement', 'Node',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // The web page's scripts, served as they are (no build step): ES modules in the browser.
    files: ['adapters/web/static/**/*.js'],
    languageOptions: { sourceType: 'module', globals: Object.fromEntries(BROWSER_GLOBALS.map((name) => [name, 'readonly'])) },
  },
  {
    // The core depends on nothing of ours; adapters and commands only on the core (DESIGN.md).
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../*/**', '!./*', 'typeorm', 'ioredis', 'fastify', 'better-sqlite3', 'mysql2'] }] },
  },
  {
    files: ['adapters/**/*.ts', 'commands/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/src/jobs/**', '**/src/store/**', '**/src/bus/**', '**/src/http/**', '**/src/cli/**', '**/entities/**', 'typeorm', 'ioredis'] }] },
  },
);
