/**
 * What the device has left: free disk under a path and memory available for new allocations. Behind a small
 * interface so installs can be tested against a nearly full disk or a starved board without filling this
 * machine (tests pass a fake). The real implementation asks the kernel: statfs(2) `f_bavail × f_bsize` (the
 * blocks an unprivileged writer may still use, not `f_bfree`, which counts root's reserve), and libuv's
 * free memory (Linux `MemAvailable` since libuv 1.45), capped by the process's cgroup limit when the agent
 * runs under systemd's `MemoryMax=` — on a Pi the unit's limit, not the board's RAM, is what an ONNX session
 * must fit in.
 */
import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';

export interface SystemStats {
  /** Bytes an unprivileged process may still write on the filesystem holding `path`. */
  freeDiskBytes(path: string): Promise<number>;
  /** Bytes this process can still allocate without swapping or hitting its cgroup limit. */
  availableMemoryBytes(): number;
}

export function createSystemStats(): SystemStats {
  return {
    async freeDiskBytes(path) {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    },
    availableMemoryBytes() {
      const free = freemem();
      // constrainedMemory() is the cgroup limit, or a huge sentinel / 0 when there is none (Node 20 docs).
      const limit = process.constrainedMemory?.() ?? 0;
      if (limit <= 0 || limit >= totalmem()) return free;
      return Math.max(0, Math.min(free, limit - process.memoryUsage.rss()));
    },
  };
}
