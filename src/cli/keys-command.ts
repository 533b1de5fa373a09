import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SkadiError } from '../core/errors.js';
import { createJobSigner, generateSigningKeyText, loadJobSigningKey, SIGNING_KEY_FILE } from '../auth/job-signing-key.js';
import { flagsToConfig, type GlobalFlags } from './config-flags.js';

/**
 * `skadi keys show` prints the public key agents pin (`serverPublicKey:` in their config);
 * `skadi keys generate` prints a new private key for `jobs.signingKey` (several servers).
 */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('the job-signing key: show the public key agents pin, or generate a new private key');
  keys
    .command('show')
    .description('print the public key of this server\'s job-signing key (same config and data directory as `skadi serve`)')
    .option('--generate', 'generate the key file in the data directory if there is none yet')
    .action((opts: { generate?: boolean }) => {
      const flags = program.opts() as GlobalFlags;
      const config = loadConfig({ file: flags.config ?? null, flags: flagsToConfig(flags) });
      const file = join(config.data.dir, SIGNING_KEY_FILE);
      if (!config.jobs.signingKey && !opts.generate && !existsSync(file)) {
        // Generating here by surprise would print a key no server uses (wrong directory).
        throw new SkadiError('SKADI_CONFIG_INVALID', `no job-signing key: neither jobs.signingKey nor ${file} exists. Run this with the server's config and data directory (SKADI_DATA_DIR), start the server once, or add --generate`);
      }
      const source = loadJobSigningKey({ signingKey: config.jobs.signingKey, dataDir: config.data.dir });
      const { publicKey } = createJobSigner(source.key);
      const from = source.from === 'config' ? 'jobs.signingKey' : `${source.path}${source.from === 'generated' ? ' (generated now)' : ''}`;
      console.error(`job-signing key from ${from}; put this line in each agent's config (with its name:):`);
      console.log(`serverPublicKey: ${publicKey}`);
    });
  keys
    .command('generate')
    .description('print a new private signing key for jobs.signingKey / SKADI_JOB_SIGNING_KEY (keep it secret; share it between your server processes)')
    .action(() => {
      console.error('a new Ed25519 private key (base64 seed); set it as jobs.signingKey or SKADI_JOB_SIGNING_KEY on every server process, then `skadi keys show`:');
      console.log(generateSigningKeyText());
    });
}
