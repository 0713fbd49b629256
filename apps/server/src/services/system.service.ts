import { Inject, Injectable } from '@nestjs/common';
import type { NodeSpec } from '@maskflow/workflow';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import { EngineRepository } from '../repositories/engine.repository';
import { ModelsRepository } from '../repositories/models.repository';
import type { ModelStatusView, PullView } from '../repositories/models.repository';
import { ApiError } from '../common/api.error';
import { QueueService } from './queue.service';

@Injectable()
export class SystemService {
  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(QueueService) private readonly queue: QueueService,
    @Inject(EngineRepository) private readonly engine: EngineRepository,
    @Inject(ModelsRepository) private readonly models: ModelsRepository,
  ) {}

  health(): { status: 'ok'; uptime: number } {
    return { status: 'ok', uptime: process.uptime() };
  }

  nodes(): NodeSpec[] {
    return this.engine.nodeSpecs();
  }

  system() {
    const q = this.queue.stats();
    const mem = process.memoryUsage();
    return {
      version: this.config.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      provider: this.engine.provider(),
      queue: { length: q.queued, running: q.running, concurrency: q.concurrency },
      cache: this.engine.cacheStats(),
      memory: { rss: mem.rss, heapUsed: mem.heapUsed },
      loadedModels: this.engine.loadedModels(),
      database: this.config.databaseUrl ? 'postgres' : 'sqlite',
      auth: this.config.token ? 'token' : 'none',
    };
  }

  async listModels(): Promise<{ models: ModelStatusView[] }> {
    return this.models.list();
  }

  async getModel(id: string): Promise<ModelStatusView> {
    const m = await this.models.get(id);
    if (!m) throw ApiError.notFound('model', id);
    return m;
  }

  /** Starts (or joins) the download of a model's missing files; progress shows in getModel/listModels. */
  pullModel(id: string, variant?: string): { id: string; pull: PullView } {
    if (!this.models.has(id)) throw ApiError.notFound('model', id);
    return { id, pull: this.models.pull(id, variant) };
  }
}
