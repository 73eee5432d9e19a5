/**
 * Runs a service from its systemd unit file the way systemd does, for tests on machines where systemd is
 * not PID 1 (containers, CI): `ExecStartPre=` then `ExecStart=` as its own process group with the unit's
 * `Environment=`; `Type=notify` with a real notify socket (a `socat` datagram listener) so the service's
 * `systemd-notify` calls arrive as they would; `TimeoutStartSec=` until READY=1; `WatchdogSec=` (SIGABRT when
 * WATCHDOG=1 stops); `Restart=on-failure` with `RestartSec=`. Sandboxing, cgroups and `MemoryMax=` are not
 * emulated. `powerCut()` is SIGKILL to everything at once; a new `runUnit` on the same file is the next boot.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `Key=value` lines of the [Service] section, per key (keys may repeat). */
export function serviceDirectives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let section = '';
  for (const line of unit.split('\n')) {
    const header = /^\[(\w+)\]\s*$/.exec(line);
    if (header) section = header[1] as string;
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match && section === 'Service')
      map.set(match[1] as string, [...(map.get(match[1] as string) ?? []), match[2] as string]);
  }
  return map;
}

/** Splits a command line as systemd does for plain words and double-quoted ones. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|(\S+)/g)) words.push((match[1] ?? match[2]) as string);
  return words;
}

const seconds = (value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(value.trim());
  if (match === null) throw new Error(`unsupported time span ${value}`);
  const n = Number(match[1]);
  return match[2] === 'ms' ? n / 1000 : match[2] === 'min' ? n * 60 : n;
};

export interface UnitRun {
  /** How many times the main process was started. */
  readonly starts: number;
  /** Exit codes (or signal names) of the main process, in order. */
  readonly exits: ReadonlyArray<number | string>;
  /** Every main process id, in order. */
  readonly pids: readonly number[];
  /** READY=1 and WATCHDOG=1 messages received so far. */
  readonly notified: { readonly ready: number; readonly watchdog: number };
  mainPid(): number | null;
  output(): string;
  /** SIGKILL to the start step, the main process and its children at once, as a power cut. */
  powerCut(): Promise<void>;
  /** `systemctl stop`: SIGTERM, SIGKILL after TimeoutStopSec. */
  stop(): Promise<void>;
}

export async function runUnit(unitPath: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<UnitRun> {
  const d = serviceDirectives(await readFile(unitPath, 'utf8'));
  const one = (key: string) => d.get(key)?.at(-1);
  if (one('Type') !== 'notify') throw new Error(`${unitPath}: only Type=notify units are supported`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // An undefined value in options.env removes the variable (as a clean systemd environment lacks it).
  for (const [key, value] of Object.entries(options.env ?? {})) if (value === undefined) delete env[key];
  for (const line of d.get('Environment') ?? []) {
    for (const word of splitWords(line)) {
      const at = word.indexOf('=');
      if (at > 0) env[word.slice(0, at)] = word.slice(at + 1);
    }
  }
  const restartSec = seconds(one('RestartSec'), 0.1);
  const watchdogSec = seconds(one('WatchdogSec'), 0);
  const startTimeoutSec = seconds(one('TimeoutStartSec'), 90);
  const stopTimeoutSec = seconds(one('TimeoutStopSec'), 90);
  const restartOnFailure = one('Restart') === 'on-failure';

  const socketDir = await mkdtemp(join(tmpdir(), 'edgefleet-notify-'));
  const socketPath = join(socketDir, 'notify.sock');
  const listener = spawn('socat', ['-u', `UNIX-RECV:${socketPath},unlink-early`, '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let received = '';
  const notified = { ready: 0, watchdog: 0 };
  const count = (text: string, needle: string) => text.split(needle).length - 1;
  const waiters = new Set<() => void>();
  listener.stdout.on('data', (chunk: Buffer) => {
    received += chunk.toString();
    notified.ready = count(received, 'READY=1');
    notified.watchdog = count(received, 'WATCHDOG=1');
    for (const wake of [...waiters]) wake();
  });
  await waitForFile(socketPath);
  env.NOTIFY_SOCKET = socketPath;
  if (watchdogSec > 0) env.WATCHDOG_USEC = String(Math.round(watchdogSec * 1e6));

  let log = '';
  let main: ChildProcess | null = null;
  let pre: ChildProcess | null = null;
  let stopping = false;
  let starts = 0;
  const exits: Array<number | string> = [];
  const pids: number[] = [];

  const exitOf = (proc: ChildProcess) =>
    new Promise<number | string>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode ?? (proc.signalCode as string));
      else proc.once('exit', (code, signal) => resolve(code ?? (signal as string)));
    });
  const spawnGroup = (words: string[]) => {
    const proc = spawn(words[0] as string, words.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    proc.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    return proc;
  };
  const killGroup = (proc: ChildProcess | null, signal: NodeJS.Signals) => {
    if (proc?.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // already gone
    }
  };

  /** Resolves when `ok()` holds or after `ms`; true when it held. */
  const until = (ok: () => boolean, ms: number, exited: Promise<unknown>) =>
    new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(value);
      };
      const check = () => ok() && done(true);
      const timer = setTimeout(() => done(ok()), ms);
      waiters.add(check);
      void exited.then(() => done(ok()));
      check();
    });

  async function once(): Promise<'success' | 'failure'> {
    for (const line of d.get('ExecStartPre') ?? []) {
      pre = spawnGroup(splitWords(line));
      const code = await exitOf(pre);
      pre = null;
      if (stopping || code !== 0) return 'failure';
    }
    const proc = spawnGroup(splitWords(one('ExecStart') as string));
    main = proc;
    starts++;
    if (proc.pid !== undefined) pids.push(proc.pid);
    const exited = exitOf(proc);
    const readyBefore = notified.ready;
    const ready = await until(() => notified.ready > readyBefore, startTimeoutSec * 1000, exited);
    if (!ready && !stopping) killGroup(proc, 'SIGTERM');
    if (ready && watchdogSec > 0) {
      // Each interval must bring at least one WATCHDOG=1; else SIGABRT, as systemd does.
      for (;;) {
        const seen = notified.watchdog;
        const beat = await until(() => notified.watchdog > seen, watchdogSec * 1000, exited);
        if (proc.exitCode !== null || proc.signalCode !== null || stopping) break;
        if (!beat) {
          log += '[runner] watchdog timeout: SIGABRT\n';
          killGroup(proc, 'SIGABRT');
          break;
        }
      }
    }
    const code = await exited;
    main = null;
    exits.push(code);
    return code === 0 ? 'success' : 'failure';
  }

  const loop = (async () => {
    while (!stopping) {
      const result = await once();
      if (stopping || result === 'success' || !restartOnFailure) break;
      await new Promise((resolve) => setTimeout(resolve, restartSec * 1000));
    }
  })();

  async function shutdown(signal: NodeJS.Signals) {
    stopping = true;
    for (const wake of [...waiters]) wake();
    killGroup(pre, 'SIGKILL');
    const proc = main;
    killGroup(proc, signal);
    if (proc !== null && signal !== 'SIGKILL') {
      const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), stopTimeoutSec * 1000);
      await exitOf(proc);
      clearTimeout(timer);
    }
    await loop;
    listener.kill('SIGKILL');
    await rm(socketDir, { recursive: true, force: true });
  }

  return {
    get starts() {
      return starts;
    },
    exits,
    pids,
    notified,
    mainPid: () => main?.pid ?? null,
    output: () => log,
    powerCut: () => shutdown('SIGKILL'),
    stop: () => shutdown('SIGTERM'),
  };
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`socat did not create ${path} (is socat installed?)`);
}
