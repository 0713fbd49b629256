/**
 * Maps the configured device (auto | cpu | cuda) to an execution provider, the
 * way transformers.js maps `device` to ORT providers: in one place, with the
 * reason recorded so the log says why a GPU was or was not used.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EnvironmentError } from '@maskflow/workflow';
import { CUDA_INSTALL_FIX, ProviderUnavailableError } from './inference.errors';

export type DeviceSetting = 'auto' | 'cpu' | 'cuda';
/** The execution providers this runtime drives. */
export type ExecutionProvider = 'cpu' | 'cuda';

export const DEVICE_SETTINGS: readonly DeviceSetting[] = ['auto', 'cpu', 'cuda'];

export interface ProbeResult {
  ok: boolean;
  /** What was checked and what it found, for logs and error messages. */
  detail: string;
}

/** The two facts `auto` depends on; injectable so tests can play a GPU machine. */
export interface DeviceProbe {
  cudaProvider(): ProbeResult;
  gpu(): ProbeResult;
}

export interface ResolvedDevice {
  setting: DeviceSetting;
  provider: ExecutionProvider;
  reason: string;
}

interface SupportedBackend {
  name: string;
  bundled: boolean;
}

function onnxruntimeDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

/** The CUDA provider library as onnxruntime-node's install script places it. */
export function cudaProviderLibraryPath(platform = process.platform, arch = process.arch): string {
  const lib = platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return path.join(onnxruntimeDir(), 'bin', 'napi-v6', platform, arch, lib);
}

/** The real machine: onnxruntime-node's backend list, its bin folder, and the NVIDIA driver. */
export const systemDeviceProbe: DeviceProbe = {
  cudaProvider(): ProbeResult {
    // Loading the binding here only maps the shared library; no session (and no inference) runs on this thread.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as { listSupportedBackends(): SupportedBackend[] };
    const cuda = ort.listSupportedBackends().find((b) => b.name === 'cuda');
    if (!cuda)
      return {
        ok: false,
        detail: `this onnxruntime-node build (${process.platform}/${process.arch}) has no CUDA provider`,
      };
    if (cuda.bundled) return { ok: true, detail: 'CUDA provider bundled with onnxruntime-node' };
    const lib = cudaProviderLibraryPath();
    return existsSync(lib)
      ? { ok: true, detail: `CUDA provider installed (${lib})` }
      : {
          ok: false,
          detail: `CUDA provider not installed (${lib} is missing: onnxruntime-node was installed for CPU only)`,
        };
  },
  gpu(): ProbeResult {
    if (existsSync('/dev/nvidia0')) return { ok: true, detail: '/dev/nvidia0 present' };
    try {
      const out = execFileSync('nvidia-smi', ['-L'], { timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
      return { ok: true, detail: out.split('\n')[0] || 'nvidia-smi -L succeeded' };
    } catch {
      return { ok: false, detail: 'no NVIDIA GPU answered (no /dev/nvidia0, `nvidia-smi -L` failed)' };
    }
  },
};

/** Parses a device setting from config or the environment; throws a clear error for anything else. */
export function parseDeviceSetting(value: string | undefined, source = 'MASKFLOW_DEVICE'): DeviceSetting {
  if (value === undefined || value.trim() === '') return 'auto';
  const v = value.trim().toLowerCase();
  if ((DEVICE_SETTINGS as readonly string[]).includes(v)) return v as DeviceSetting;
  throw new EnvironmentError(`${source}=${value} is not a device; use one of ${DEVICE_SETTINGS.join(', ')}`, {
    code: 'bad-config',
  });
}

/**
 * auto → CUDA when its provider is installed and a GPU answers, else CPU.
 * cuda → CUDA, or an error naming the fix. cpu → CPU.
 */
export function resolveDevice(
  setting: DeviceSetting,
  probe: DeviceProbe = systemDeviceProbe,
): ResolvedDevice {
  if (setting === 'cpu') return { setting, provider: 'cpu', reason: 'device=cpu' };
  const provider = probe.cudaProvider();
  if (setting === 'cuda') {
    if (!provider.ok)
      throw new ProviderUnavailableError(
        `device=cuda was requested, but ${provider.detail}; ${CUDA_INSTALL_FIX}`,
      );
    const gpu = probe.gpu();
    if (!gpu.ok) {
      throw new ProviderUnavailableError(
        `device=cuda was requested, but ${gpu.detail}; check the NVIDIA driver (nvidia-smi) or set MASKFLOW_DEVICE=cpu`,
      );
    }
    return { setting, provider: 'cuda', reason: `device=cuda: ${provider.detail}; ${gpu.detail}` };
  }
  if (!provider.ok) return { setting, provider: 'cpu', reason: `device=auto: ${provider.detail}` };
  const gpu = probe.gpu();
  if (!gpu.ok)
    return { setting, provider: 'cpu', reason: `device=auto: ${provider.detail}, but ${gpu.detail}` };
  return { setting, provider: 'cuda', reason: `device=auto: ${provider.detail}; ${gpu.detail}` };
}
