#!/usr/bin/env node
// One libuv worker thread, set before the pool starts: file operations of the virtual devices then complete
// in the order they were issued, which keeps a run reproducible from its seed (docs/simulator.md).
process.env.UV_THREADPOOL_SIZE ??= '1';
await import('../dist/cli.js');
