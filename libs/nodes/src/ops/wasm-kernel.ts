/**
 * Loading the WebAssembly SIMD kernels of libs/nodes/wasm (AssemblyScript,
 * built by `npm run build:wasm`, part of `npm run build`, which `npm ci` runs,
 * into libs/nodes/wasm/build/<name>.wasm) and handing out their memory.
 *
 * Each kernel imports its memory. One instance (with its memory) is kept per
 * thread for jobs that need up to {@link KEEP_MEMORY_BYTES}; bigger ones get
 * an instance of their own, dropped after the call, since wasm memory never
 * shrinks. The drivers (morphology-wasm.ts, blur-wasm.ts) own the layout of
 * that memory and stream rows through it in bands.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EnvironmentError } from '@maskflow/workflow';

/** Wasm memory kept between calls in a thread; above this a call gets its own instance. */
export const KEEP_MEMORY_BYTES = 64 * 1024 * 1024;

const PAGE = 65536;

export interface KernelInstance<K> {
  memory: WebAssembly.Memory;
  kernel: K;
}

export class WasmKernel<K> {
  private compiled?: WebAssembly.Module;
  private kept?: KernelInstance<K>;

  /** `name`: the file libs/nodes/wasm/build/<name>.wasm; `node`: who needs it, for the error message. */
  constructor(
    readonly name: string,
    private readonly node: string,
  ) {}

  /** Where the build puts the kernel: the same relative path from src/ops and dist/ops. */
  get file(): string {
    return path.resolve(__dirname, '../../wasm/build', `${this.name}.wasm`);
  }

  /** An instance with at least `bytes` of memory: the kept one (grown) when small enough, else a fresh one. */
  instanceFor(bytes: number, keepMemoryBytes = KEEP_MEMORY_BYTES): KernelInstance<K> {
    if (bytes > keepMemoryBytes) return this.instantiate(bytes);
    this.kept ??= this.instantiate(bytes);
    const have = this.kept.memory.buffer.byteLength;
    if (have < bytes) this.kept.memory.grow(Math.ceil((bytes - have) / PAGE));
    return this.kept;
  }

  private module(): WebAssembly.Module {
    if (this.compiled) return this.compiled;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch (err) {
      throw new EnvironmentError(
        `the ${this.node} kernel ${this.file} is missing: run \`npm run build:wasm\` (npm ci and npm run build do this)`,
        { code: 'wasm-missing', cause: err },
      );
    }
    this.compiled = new WebAssembly.Module(bytes);
    return this.compiled;
  }

  private instantiate(bytes: number): KernelInstance<K> {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const instance = new WebAssembly.Instance(this.module(), { env: { memory } });
    // The exports are the kernel's functions, as its AssemblyScript source declares them.
    return { memory, kernel: instance.exports as unknown as K };
  }
}

/** Hands out 16-byte aligned regions of a kernel's memory from 0. */
export class Layout {
  size = 0;

  take(bytes: number): number {
    const at = this.size;
    this.size = (this.size + bytes + 15) & ~15;
    return at;
  }
}
