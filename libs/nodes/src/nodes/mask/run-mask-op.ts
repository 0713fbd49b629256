import type { MaskValue, NodeContext } from '../../contract';
import { maskValue } from '../../contract';
import { runCpuTask } from '../../workers/cpu-pool';

/**
 * Runs a radius-driven mask op (cpu-tasks.ts `dilate`, `blur`) for a node:
 * big masks in a CPU worker (the input is copied there: it is the upstream
 * node's), small ones inline.
 */
export async function runMaskOp(
  ctx: Pick<NodeContext, 'signal' | 'throwIfAborted' | 'progress'>,
  task: 'dilate' | 'blur',
  mask: MaskValue,
  radius: number,
): Promise<MaskValue> {
  const data = await runCpuTask(
    ctx,
    task,
    { data: mask.data, width: mask.width, height: mask.height, radius },
    { pixels: mask.width * mask.height },
  );
  return maskValue(mask.width, mask.height, data);
}
