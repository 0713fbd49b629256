/**
 * Jest runs each test file in its own realm, with its own Float32Array and
 * friends. onnxruntime-node's native code builds output arrays in Node's main
 * realm, so onnxruntime-common's `instanceof` checks reject them when ORT is
 * called directly from a test (jestjs/jest#11864). Tests that need a direct
 * in-process ORT session (the reference for the worker pool) use this
 * environment, which shares the main realm's typed arrays, as jest-environment-node
 * already does for ArrayBuffer and Uint8Array.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

export default class NativeTypedArraysEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const sandbox = this.global as unknown as Record<string, unknown>;
    for (const name of TYPED_ARRAYS) sandbox[name] = globalThis[name];
  }
}
