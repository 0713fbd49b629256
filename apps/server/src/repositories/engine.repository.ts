import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import { Engine, ModelServices, OutputCache } from '@maskflow/engine';
import type { RunOptions, RunResult } from '@maskflow/engine';
import type { ModelManager } from '@maskflow/models';
import { closeCpuPool } from '@maskflow/nodes';
import type { NodeRegistry } from '@maskflow/nodes';
import type { NodeSpec } from '@maskflow/workflow';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';

export const NODE_REGISTRY = Symbol('NODE_REGISTRY');

/**
 * The one Engine of the process. Its output cache is shared by every run, so a
 * re-run with one param changed executes only what that param feeds.
 */
@Injectable()
export class EngineRepository implements OnModuleDestroy {
  private readonly engine: Engine;
  private readonly specs: NodeSpec[];
  /** The inference runtime and model manager, started on the first model node. */
  private readonly services = new ModelServices();

  constructor(
    @Inject(NODE_REGISTRY) readonly registry: NodeRegistry,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    const cache = new OutputCache(config.cacheBytes === undefined ? {} : { budgetBytes: config.cacheBytes });
    this.engine = new Engine({
      registry,
      cache,
      concurrency: config.engineConcurrency,
      services: this.services,
    });
    this.specs = registry.toJSON();
  }

  run(doc: unknown, opts: RunOptions): Promise<RunResult> {
    return this.engine.run(doc, opts);
  }

  /** The model manager model nodes resolve their files with (downloads on first use). */
  modelManager(): ModelManager {
    return this.services.models;
  }

  /** The execution provider inference runs on (`cpu`, `cuda`), resolved from MASKFLOW_DEVICE. */
  provider(): string {
    return this.services.inference.device().provider;
  }

  /** Models loaded in the inference runtime (empty until a model node has run). */
  loadedModels(): Array<{ key: string; file: string; bytes: number; provider: string; inUse: boolean }> {
    if (!this.services.started) return [];
    return this.services.inference.status().models.map((m) => ({
      key: m.key,
      file: m.file,
      bytes: m.bytes,
      provider: m.provider,
      inUse: m.inUse,
    }));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.services.close(), closeCpuPool()]);
  }

  nodeSpecs(): NodeSpec[] {
    return this.specs;
  }

  cacheStats(): { entries: number; bytes: number; hits: number; misses: number } {
    const c = this.engine.cache;
    return { entries: c.size, bytes: c.bytes, hits: c.hits, misses: c.misses };
  }
}
