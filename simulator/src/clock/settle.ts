/**
 * Waits until the process is quiet: no pending file-system requests and a few event-loop turns without
 * new ones (nor pending setImmediate callbacks). The virtual clock calls it between instants so that everything the previous events started
 * (promise chains, stream writes, fsync'd slot files, SQLite outboxes) is done before time moves on.
 * Real timers (MQTT.js keepalives) are ignored: they run on wall time and are not part of the scenario.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

// Pending file-system requests, and pending setImmediate callbacks (onnxruntime-node runs sessions and
// loads models from a setImmediate, so a chain of them is work in progress, not quiet).
// A FileHandle's close is listed as 'CloseReq' on Node 20: missing it let the clock move on while an
// agent's `await handle.close()` (atomic writes, fsyncDir) was still in flight, so the work after it
// landed at a later virtual instant in some runs and not in others.
const BUSY = new Set([
  'FSReqCallback',
  'FSReqPromise',
  'CloseReq',
  'FileHandleCloseReq',
  'GetAddrInfoReqWrap',
  'Immediate',
]);
const QUIET_TURNS = 2;

function busy(): boolean {
  for (const resource of process.getActiveResourcesInfo()) if (BUSY.has(resource)) return true;
  return false;
}

export async function settle(): Promise<void> {
  let quiet = 0;
  while (quiet < QUIET_TURNS) {
    await nextTurn();
    quiet = busy() ? 0 : quiet + 1;
  }
}
