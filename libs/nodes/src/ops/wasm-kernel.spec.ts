import { EnvironmentError } from '@maskflow/workflow';
import { Layout, WasmKernel } from './wasm-kernel';

describe('WasmKernel', () => {
  it('explains a kernel that was not built, naming the node, the file and the command', () => {
    const missing = new WasmKernel<unknown>('no-such-kernel', 'MaskNothing');
    let err: unknown;
    try {
      missing.instanceFor(1024);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvironmentError);
    expect(err).toMatchObject({ kind: 'environment', code: 'wasm-missing' });
    expect((err as Error).message).toContain('MaskNothing kernel');
    expect((err as Error).message).toContain('no-such-kernel.wasm');
    expect((err as Error).message).toContain('npm run build:wasm');
  });

  it('keeps one grown instance for small jobs and gives a big one its own', () => {
    const k = new WasmKernel<Record<string, unknown>>('morphology', 'MaskDilate');
    const a = k.instanceFor(100_000);
    const b = k.instanceFor(300_000);
    expect(b).toBe(a);
    expect(b.memory.buffer.byteLength).toBeGreaterThanOrEqual(300_000);
    const big = k.instanceFor(200_000, 150_000);
    expect(big).not.toBe(a);
    expect(big.memory.buffer.byteLength).toBeGreaterThanOrEqual(200_000);
  });
});

describe('Layout', () => {
  it('hands out 16-byte aligned, non-overlapping regions', () => {
    const l = new Layout();
    expect([l.take(5), l.take(16), l.take(1), l.take(0), l.take(3)]).toEqual([0, 16, 32, 48, 48]);
    expect(l.size).toBe(64);
  });
});
