/**
 * The clients of a round read back after a control-plane restart: each one's status and sample count, an
 * accepted client's public key (secure aggregation) and a submitted client's update, as the round stored
 * them. A client that was sending update parts when the control plane stopped has lost its partial
 * update with the process; it stays accepted and its next parts start a fresh one.
 */
import type { ClientStatus } from './fl-state.js';
import type { RoundClientRow } from './fl-store.js';
import type { Client } from './round-types.js';

function valuesOf(bytes: Uint8Array, secure: boolean): Float32Array | Uint32Array {
  // Copied to a fresh, aligned buffer: database drivers hand out views at any offset.
  const copy = new Uint8Array(bytes).buffer;
  return secure ? new Uint32Array(copy) : new Float32Array(copy);
}

export function restoreClients(rows: readonly RoundClientRow[], secure: boolean): Map<string, Client> {
  const clients = new Map<string, Client>();
  for (const row of rows) {
    const submitted = row.status === 'submitted' && row.updateBytes !== null;
    clients.set(row.deviceId, {
      // A submitted row without its update (cleared, or written by an older version) cannot be aggregated.
      status: (row.status === 'submitted' && !submitted ? 'rejected' : row.status) as ClientStatus,
      sampleCount: row.sampleCount ?? 0,
      publicKey: row.publicKey === null ? null : new Uint8Array(row.publicKey),
      assembler: null,
      values: submitted ? valuesOf(row.updateBytes as Uint8Array, secure) : null,
    });
  }
  return clients;
}
