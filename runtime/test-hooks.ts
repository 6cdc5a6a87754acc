/**
 * Test-only hooks. `CNNC_TEST_CRASH_AT=NAME` kills the process with SIGKILL when it reaches the
 * point NAME, so that a test can check what a crash exactly there leaves behind and that cnnc
 * recovers from it. The one point: `checkpoint-between-renames` (saveCheckpoint in
 * runtime/train/checkpoint.ts, after the previous checkpoint was renamed away and before the new one
 * is renamed into place). Nothing else reads the variable; never set it outside tests.
 */
export function crashPoint(name: 'checkpoint-between-renames'): void {
  if (process.env.CNNC_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
