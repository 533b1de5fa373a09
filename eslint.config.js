import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'src/http/web/static/**'] },
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
    // The core depends on nothing of ours; adapters and commands only on the core (DESIGN.md).
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../*/**', '!./*', 'typeorm', 'ioredis', 'fastify', 'better-sqlite3', 'mysql2'] }] },
  },
  {
    files: ['adapters/**/*.ts', 'commands/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/src/jobs/**', '**/src/store/**', '**/src/bus/**', '**/src/http/**', '**/src/cli/**', '**/entities/**', 'typeorm', 'ioredis'] }] },
  },
);
