import { MultiBar, Presets } from 'cli-progress';
import type { RunEvent } from '@maskflow/workflow';

export interface ProgressReporter {
  onEvent(e: RunEvent): void;
  stop(): void;
}

/**
 * Run progress on stderr, for local and remote runs alike: one bar per node on
 * a terminal, one line per event otherwise, nothing when `quiet` (`--json`).
 */
export function progressReporter(quiet: boolean): ProgressReporter {
  const tty = process.stderr.isTTY === true && !quiet;
  const multibar = tty
    ? new MultiBar(
        {
          format: ' {bar} {percentage}% | {node} {status}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  const bar = (id: string) => {
    let b = bars.get(id);
    if (!b && multibar) {
      b = multibar.create(100, 0, { node: id.padEnd(12), status: 'queued' });
      bars.set(id, b);
    }
    return b;
  };
  const line = (text: string) => {
    if (!quiet && !multibar) process.stderr.write(`${text}\n`);
  };
  return {
    onEvent(e: RunEvent) {
      if (quiet) return;
      const id = e.nodeId ?? '';
      const d = e.data;
      switch (e.type) {
        case 'run.queued':
          line(`queued (position ${typeof d.position === 'number' ? d.position : '?'})`);
          break;
        case 'run.started':
          for (const n of (d.nodes as string[] | undefined) ?? []) bar(n);
          break;
        case 'node.started':
          bar(id)?.update(0, { status: 'running' });
          line(`… ${id} started`);
          break;
        case 'node.progress':
          bar(id)?.update(Math.round((100 * Number(d.value)) / Math.max(1, Number(d.max))), {
            status: typeof d.phase === 'string' ? d.phase : 'running',
          });
          break;
        case 'node.cached':
          bar(id)?.update(100, { status: 'cached' });
          line(`= ${id} cached`);
          break;
        case 'node.finished':
          bar(id)?.update(100, { status: `done ${Math.round(Number(d.ms))} ms` });
          line(`✓ ${id} done in ${Math.round(Number(d.ms))} ms`);
          for (const w of (d.warnings as string[] | undefined) ?? []) process.stderr.write(`! ${id}: ${w}\n`);
          break;
        case 'node.failed':
          bar(id)?.update({ status: 'failed' });
          line(`✗ ${id} failed`);
          break;
        default:
          break;
      }
    },
    stop() {
      multibar?.stop();
    },
  };
}
