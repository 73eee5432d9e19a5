/**
 * `edgefleet login --server <url> --token <token>`: checks the token against the server (a viewer-level
 * read, so any role logs in) and only then stores both in the config file (0600).
 */
import type { Command } from 'commander';
import { configPath, readConfig, resolveTarget, writeConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { createHttpClient } from '../http-client.js';

export function registerLoginCommand(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('verify a token and store server + token in the config file')
    .action(async () => {
      const { server, token } = program.opts<{ server?: string; token?: string }>();
      const target = resolveTarget({
        ...(server === undefined ? {} : { server }),
        ...(token === undefined ? {} : { token }),
      });
      const client = createHttpClient(target);
      await client.get('/v1/models');
      const file = configPath();
      writeConfig(file, {
        ...readConfig(file),
        server: target.server,
        ...(target.token === null ? {} : { token: target.token }),
      });
      ctx
        .output()
        .result({ server: target.server, config: file }, () => `logged in to ${target.server} (saved in ${file})`);
    });
}
