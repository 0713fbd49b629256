import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ModelStatus } from '@maskflow/models';
import { toErrorInfo } from '@maskflow/workflow';
import type { ErrorInfo } from '@maskflow/workflow';
import { EngineRepository } from './engine.repository';

/** A download started through the API, as the API reports it. */
export interface PullView {
  status: 'downloading' | 'done' | 'failed';
  variant: string | null;
  bytes: number;
  total: number | null;
  file: string | null;
  startedAt: number;
  finishedAt?: number;
  error?: ErrorInfo;
}

export type ModelStatusView = ModelStatus & { pull?: PullView };

/**
 * The model manager the engine's nodes use (one per process), plus the
 * downloads started through the API, kept in memory with their progress.
 */
@Injectable()
export class ModelsRepository {
  private readonly logger = new Logger('Models');
  private readonly pulls = new Map<string, PullView>();

  constructor(@Inject(EngineRepository) private readonly engine: EngineRepository) {}

  async list(): Promise<{ models: ModelStatusView[] }> {
    const models = await this.engine.modelManager().list();
    return { models: models.map((m) => this.withPull(m)) };
  }

  async get(id: string): Promise<ModelStatusView | undefined> {
    const m = (await this.engine.modelManager().list()).find((x) => x.id === id);
    return m && this.withPull(m);
  }

  has(id: string): boolean {
    return this.engine.modelManager().has(id);
  }

  /**
   * Starts downloading a model's missing files in the background (joining a
   * download already running for it) and returns its progress record.
   */
  pull(id: string, variant?: string): PullView {
    const running = this.pulls.get(id);
    if (running?.status === 'downloading') return running;
    const view: PullView = {
      status: 'downloading',
      variant: variant ?? null,
      bytes: 0,
      total: null,
      file: null,
      startedAt: Date.now(),
    };
    this.pulls.set(id, view);
    this.engine
      .modelManager()
      .pull(id, {
        variant,
        onProgress: (p) => {
          view.bytes = p.bytes;
          view.total = p.total;
          view.file = p.file;
        },
      })
      .then(
        () => {
          view.status = 'done';
          view.finishedAt = Date.now();
          this.logger.log(`model ${id} downloaded`);
        },
        (err: unknown) => {
          view.status = 'failed';
          view.finishedAt = Date.now();
          view.error = toErrorInfo(err);
          this.logger.warn(`model ${id} download failed: ${view.error.message.split('\n')[0]}`);
        },
      );
    return view;
  }

  private withPull(m: ModelStatus): ModelStatusView {
    const pull = this.pulls.get(m.id);
    return pull ? { ...m, pull } : m;
  }
}
