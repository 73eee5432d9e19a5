/**
 * `edgefleet-agent install-service [--from DIR] [--prefix DIR] [--unit-dir DIR] [--config-dir DIR]
 * [--state-dir DIR] [--user NAME] [--memory-max SIZE] [--node PATH] [--root-key HEX]...
 * [--control-plane-url URL] [--enrolment-token TOKEN]`: see service/install-service.ts. Run it with the
 * unpacked artifact's own agent.mjs (`--from` defaults to that file's directory). Prints what it wrote and
 * the systemctl commands to enable it. Exit 0, 1 when it could not install, 2 on bad usage or an artifact it
 * refuses.
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installService } from '../service/install-service.js';
import { INSTALL_DEFAULTS } from '../service/systemd-unit.js';
import { type CommandIo, helpRequested } from './command-io.js';

const USAGE = `usage: node <unpacked artifact>/agent.mjs install-service [--from <unpacked artifact>]
         [--prefix ${INSTALL_DEFAULTS.prefix}] [--unit-dir ${INSTALL_DEFAULTS.unitDir}]
         [--config-dir ${INSTALL_DEFAULTS.configDir}] [--state-dir ${INSTALL_DEFAULTS.stateDir}] [--user NAME]
         [--memory-max ${INSTALL_DEFAULTS.memoryMax}] [--node PATH] [--root-key HEX]... [--control-plane-url URL]
         [--enrolment-token TOKEN]

Installs the agent from a release artifact (edgefleet-agent-<version>-linux-<arch>.tar.gz, unpacked):
checks its signature against the root keys (--root-key, or those of an existing agent.json) and every
file's digest, then writes <prefix>/<version>-<arch>, the systemd unit and a default agent.json.
`;

/** The directory of the running entry file: an unpacked artifact when run as `node …/agent.mjs`. */
const runningFrom = () => dirname(realpathSync(process.argv[1] ?? '.'));

export async function installServiceCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (helpRequested(args, io, USAGE)) return 0;
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        from: { type: 'string' },
        prefix: { type: 'string', default: INSTALL_DEFAULTS.prefix },
        'unit-dir': { type: 'string', default: INSTALL_DEFAULTS.unitDir },
        'config-dir': { type: 'string', default: INSTALL_DEFAULTS.configDir },
        'state-dir': { type: 'string', default: INSTALL_DEFAULTS.stateDir },
        'memory-max': { type: 'string', default: INSTALL_DEFAULTS.memoryMax },
        user: { type: 'string' },
        node: { type: 'string', default: process.execPath },
        'root-key': { type: 'string', multiple: true, default: [] },
        'control-plane-url': { type: 'string' },
        'enrolment-token': { type: 'string' },
      },
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const text = (name: string) => values[name] as string | undefined;
  try {
    const installed = await installService({
      artifactDir: resolve(text('from') ?? runningFrom()),
      prefix: resolve(text('prefix') as string),
      unitDir: resolve(text('unit-dir') as string),
      configDir: resolve(text('config-dir') as string),
      stateDir: resolve(text('state-dir') as string),
      memoryMax: text('memory-max') as string,
      user: text('user'),
      nodePath: text('node') as string,
      rootPublicKeys: values['root-key'] as string[],
      controlPlaneUrl: text('control-plane-url'),
      enrolmentToken: text('enrolment-token'),
    });
    io.out(
      `${JSON.stringify(installed, null, 2)}\nnext: systemctl daemon-reload && systemctl enable --now edgefleet-agent\n`,
    );
    return 0;
  } catch (error) {
    io.err(`install-service failed: ${(error as Error).message}\n`);
    const code = (error as { code?: string }).code ?? '';
    return ['BODY_INVALID', 'SIGNATURE_INVALID', 'BUNDLE_HASH_MISMATCH'].includes(code) ? 2 : 1;
  }
}
