/**
 * The part of the WebAssembly JS API that morphology-wasm.ts and blur-wasm.ts use. Node has the
 * global, but its types ship only in TypeScript's DOM lib, which the Node
 * packages do not load.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
