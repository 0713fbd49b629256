import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NodeContext, NodeServices } from '@maskflow/nodes';
import { createNodeContext, DirectoryArtifactStore } from '@maskflow/engine';

export interface TestContext extends NodeContext {
  /** Directory SaveImage writes to. */
  outDir: string;
  warnings: string[];
  progressCalls: Array<[number, number]>;
}

/**
 * A real node context for unit tests: inputs resolve relative to `inputDir`
 * (default: cwd), outputs go to a fresh temp directory.
 */
export function createTestContext(
  opts: { inputDir?: string; signal?: AbortSignal; nodeId?: string; services?: NodeServices } = {},
): TestContext {
  const outDir = mkdtempSync(path.join(tmpdir(), 'maskflow-test-'));
  const warnings: string[] = [];
  const progressCalls: Array<[number, number]> = [];
  const ctx = createNodeContext({
    runId: 'test-run',
    nodeId: opts.nodeId ?? 'node',
    signal: opts.signal ?? new AbortController().signal,
    artifacts: new DirectoryArtifactStore(opts.inputDir ?? process.cwd(), outDir),
    services: opts.services,
    onWarning: (m) => warnings.push(m),
    onProgress: (v, m) => progressCalls.push([v, m]),
  });
  return Object.assign(ctx, { outDir, warnings, progressCalls });
}

/** Path of a file in ../shared/fixtures, or undefined when ../shared is absent. */
export function sharedFixture(...parts: string[]): string | undefined {
  const p = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', ...parts);
  return existsSync(p) ? p : undefined;
}
