import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { describeOutputs } from '@maskflow/engine';
import type { RunResult } from '@maskflow/engine';
import type { ErrorInfo, RunEvent, RunStatusName } from '@maskflow/workflow';
import { CancelledError, toErrorInfo } from '@maskflow/workflow';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import { EngineRepository } from '../repositories/engine.repository';
import { RunEventRepository } from '../repositories/run-event.repository';
import { RunRepository } from '../repositories/run.repository';
import { ArtifactService } from './artifact.service';
import { RunEventService } from './run-event.service';

const TERMINAL_EVENTS = new Set<RunEvent['type']>(['run.finished', 'run.failed', 'run.cancelled']);

export const INTERRUPTED_ERROR: ErrorInfo = {
  kind: 'environment',
  code: 'interrupted',
  message:
    'the server stopped while this run was executing (it crashed or was killed); its results were not kept: re-run it',
};

/**
 * The durable in-process queue. The database is the truth (a run is a row
 * with status queued); this keeps the order and the abort controllers. After a
 * restart, runs cut off while running are marked interrupted and queued ones
 * run, oldest first.
 */
@Injectable()
export class QueueService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly queued: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly log = new Logger('Queue');
  private stopped = false;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(RunEventRepository) private readonly runEvents: RunEventRepository,
    @Inject(RunEventService) private readonly events: RunEventService,
    @Inject(EngineRepository) private readonly engine: EngineRepository,
    @Inject(ArtifactService) private readonly artifacts: ArtifactService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.recover();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Runs still going are cut off like a crash would; on the next start they are marked interrupted.
    this.stopped = true;
    for (const r of this.running.values()) r.controller.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Marks runs a crash left running as interrupted and queues the queued ones again. */
  async recover(): Promise<void> {
    for (const run of await this.runs.findByStatus('running')) {
      await this.runs.update(run.id, {
        status: 'interrupted',
        error: INTERRUPTED_ERROR,
        finishedAt: Date.now(),
      });
      this.events.open(run.id, await this.runEvents.maxSeq(run.id));
      await this.events.publish(run.id, {
        type: 'run.failed',
        data: { status: 'interrupted', error: INTERRUPTED_ERROR },
      });
      await this.events.close(run.id);
      this.log.warn(`run ${run.id} was interrupted by a restart`);
    }
    const queued = await this.runs.findByStatus('queued');
    for (const run of queued) {
      this.events.open(run.id, await this.runEvents.maxSeq(run.id));
      this.queued.push(run.id);
    }
    if (queued.length) this.log.log(`resuming ${queued.length} queued run(s)`);
    this.pump();
  }

  enqueue(runId: string): void {
    this.queued.push(runId);
    this.pump();
  }

  stats(): { queued: number; running: number; concurrency: number } {
    return {
      queued: this.queued.length,
      running: this.running.size,
      concurrency: this.config.queueConcurrency,
    };
  }

  isActive(runId: string): 'queued' | 'running' | undefined {
    if (this.running.has(runId)) return 'running';
    return this.queued.includes(runId) ? 'queued' : undefined;
  }

  /**
   * A queued run is taken out and never starts; a running one is aborted and
   * this waits (briefly) for the engine to stop, so the answer is the final status.
   */
  async cancel(runId: string): Promise<RunStatusName | undefined> {
    const active = this.running.get(runId);
    if (active) {
      active.controller.abort(new CancelledError('cancelled by request'));
      await Promise.race([active.done, new Promise((r) => setTimeout(r, 5000).unref())]);
      return (await this.runs.get(runId))?.status;
    }
    const i = this.queued.indexOf(runId);
    if (i < 0) return undefined;
    this.queued.splice(i, 1);
    const error = new CancelledError('cancelled before it started').toJSON();
    await this.runs.update(runId, { status: 'cancelled', error, finishedAt: Date.now() });
    await this.events.publish(runId, { type: 'run.cancelled', data: { error, nodes: {} } });
    await this.events.close(runId);
    return 'cancelled';
  }

  private pump(): void {
    while (!this.stopped && this.queued.length && this.running.size < this.config.queueConcurrency) {
      const runId = this.queued.shift()!;
      const controller = new AbortController();
      const entry = { controller, done: Promise.resolve() };
      this.running.set(runId, entry);
      entry.done = this.execute(runId, controller.signal)
        .catch((err: unknown) =>
          this.log.error(`run ${runId}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
        )
        .finally(() => {
          this.running.delete(runId);
          this.pump();
        });
    }
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const run = await this.runs.get(runId);
    if (!run || run.status !== 'queued') return;
    await this.runs.update(runId, {
      status: 'running',
      startedAt: Date.now(),
      provider: this.engine.provider(),
    });
    let terminal: RunEvent | undefined;
    let result: RunResult;
    try {
      result = await this.engine.run(run.graph, {
        runId,
        target: run.target ?? undefined,
        signal,
        artifacts: this.artifacts.storeFor(runId),
        onEvent: (e) => {
          // The final event waits until the run's row is final, so a client that reacts to it reads the result.
          if (TERMINAL_EVENTS.has(e.type)) terminal = e;
          else this.events.fromEngine(runId, e);
        },
      });
    } catch (err) {
      // The engine never throws by contract; if it does, the run still ends cleanly.
      const error = toErrorInfo(err);
      result = { runId, status: 'failed', ms: 0, nodes: {}, outputs: {}, error };
      terminal = undefined;
    }
    if (this.stopped && result.status === 'cancelled') {
      // Shutting down: leave the row running so the next start reports it interrupted.
      await this.events.close(runId);
      return;
    }
    const outputs = describeOutputs(result.outputs);
    await this.runs.update(runId, {
      status: result.status,
      nodes: result.nodes,
      outputs,
      error: result.error ?? null,
      finishedAt: Date.now(),
    });
    const type =
      result.status === 'finished'
        ? 'run.finished'
        : result.status === 'failed'
          ? 'run.failed'
          : 'run.cancelled';
    await this.events.publish(runId, {
      type,
      data: terminal?.data ?? {
        ms: result.ms,
        nodes: result.nodes,
        ...(result.error ? { error: result.error } : {}),
        outputs,
      },
    });
    await this.events.close(runId);
  }
}
