import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { RunEvent, RunList, RunRecord, Workflow, WorkflowIssue } from '@maskflow/workflow';
import {
  applyWorkflowInputs,
  artifactIdSchema,
  runEventsQuerySchema,
  runListQuerySchema,
  runSubmitBodySchema,
  TERMINAL_RUN_STATUSES,
  validateWorkflow,
  WorkflowValidationError,
} from '@maskflow/workflow';
import { ApiError } from '../common/api.error';
import type { RunEntity } from '../database/entities';
import { EngineRepository } from '../repositories/engine.repository';
import { RunArtifactRepository } from '../repositories/run-artifact.repository';
import { RunEventRepository } from '../repositories/run-event.repository';
import { RunRepository } from '../repositories/run.repository';
import { WorkflowRepository } from '../repositories/workflow.repository';
import { ArtifactService } from './artifact.service';
import { QueueService } from './queue.service';
import { RunEventService } from './run-event.service';

export type RunSubmit = z.output<typeof runSubmitBodySchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toRunRecord(r: RunEntity, withGraph: boolean): RunRecord {
  return {
    id: r.id,
    workflowId: r.workflowId,
    status: r.status,
    target: r.target,
    inputs: r.inputs,
    provider: r.provider,
    nodes: r.nodes,
    outputs: r.outputs,
    error: r.error,
    lastSeq: r.lastSeq,
    createdAt: new Date(r.createdAt).toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    ...(withGraph ? { graph: r.graph } : {}),
  };
}

@Injectable()
export class RunService {
  constructor(
    @Inject(RunRepository) private readonly runs: RunRepository,
    @Inject(RunEventRepository) private readonly runEvents: RunEventRepository,
    @Inject(RunArtifactRepository) private readonly runArtifacts: RunArtifactRepository,
    @Inject(WorkflowRepository) private readonly workflows: WorkflowRepository,
    @Inject(EngineRepository) private readonly engine: EngineRepository,
    @Inject(QueueService) private readonly queue: QueueService,
    @Inject(RunEventService) private readonly eventStream: RunEventService,
    @Inject(ArtifactService) private readonly artifacts: ArtifactService,
  ) {}

  /** Validates everything before anything is queued: a bad graph is a 400 listing every problem. */
  async submit(body: RunSubmit): Promise<RunRecord> {
    let graph: Workflow;
    let workflowId: string | null = null;
    if (body.workflowId !== undefined) {
      const saved = await this.workflows.get(body.workflowId);
      if (!saved) throw ApiError.notFound('workflow', body.workflowId);
      graph = saved.graph;
      workflowId = saved.id;
    } else {
      graph = body.workflow!;
    }
    return this.create(applyWorkflowInputs(graph, body.inputs), body.inputs, workflowId, body.target ?? null);
  }

  async rerun(id: string): Promise<RunRecord> {
    const old = await this.entity(id);
    return this.create(old.graph, old.inputs, old.workflowId, old.target);
  }

  async get(id: string): Promise<RunRecord> {
    return toRunRecord(await this.entity(id), true);
  }

  async list(query: z.output<typeof runListQuerySchema>): Promise<RunList> {
    const [rows, total] = await this.runs.list(query);
    return { items: rows.map((r) => toRunRecord(r, false)), total, limit: query.limit, offset: query.offset };
  }

  async events(
    id: string,
    query: z.output<typeof runEventsQuerySchema>,
  ): Promise<{ runId: string; events: RunEvent[] }> {
    await this.entity(id);
    return { runId: id, events: await this.runEvents.listAfter(id, query.after, query.limit) };
  }

  async cancel(id: string): Promise<RunRecord> {
    const run = await this.entity(id);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) {
      throw ApiError.conflict(
        'run-not-active',
        `run ${id} is already ${run.status}; only queued and running runs can be cancelled`,
      );
    }
    await this.queue.cancel(id);
    return this.get(id);
  }

  /**
   * Deletes the run, its events and the images it saved (or read, if a run
   * saved them) that nothing else uses: not another run (which read them or
   * saved the same bytes, e.g. a cached re-run), not a saved workflow.
   * Uploads are kept. Rows go in one transaction, then the files.
   */
  async delete(id: string): Promise<void> {
    const run = await this.entity(id);
    if (this.queue.isActive(id) === 'running') {
      throw ApiError.conflict(
        'run-active',
        `run ${id} is running; cancel it first (POST /api/runs/${id}/cancel)`,
      );
    }
    if (run.status === 'queued') await this.queue.cancel(id);
    await this.eventStream.settled(id);
    const linked = await this.runArtifacts.ofRun(id);
    const deleted = await this.artifacts.withLocks(linked, async () => {
      const r = await this.runs.deleteWithArtifacts(id, linked);
      await this.artifacts.removeFiles(r.unreferenced);
      return r.deleted;
    });
    // Someone else deleted it meanwhile.
    if (!deleted) throw ApiError.notFound('run', id);
  }

  /** For the socket gateway: the run's status and last event, or 404. */
  async entity(id: string): Promise<RunEntity> {
    const run = await this.runs.get(id);
    if (!run) throw ApiError.notFound('run', id);
    return run;
  }

  private async create(
    doc: Workflow,
    inputs: Record<string, unknown>,
    workflowId: string | null,
    target: string | null,
  ): Promise<RunRecord> {
    const { workflow, issues } = validateWorkflow(doc, this.engine.registry.catalog, {
      target: target ?? undefined,
    });
    const id = randomUUID();
    if (workflow) issues.push(...(await this.artifactRefIssues(id, workflow)));
    if (!workflow || issues.length) {
      await this.runArtifacts.unlinkRun(id);
      const err = new WorkflowValidationError(issues);
      throw ApiError.badRequest('invalid-workflow', err.message, { issues });
    }
    const now = Date.now();
    const run: RunEntity = {
      id,
      workflowId,
      graph: workflow,
      inputs,
      status: 'queued',
      target,
      provider: this.engine.provider(),
      nodes: {},
      outputs: {},
      error: null,
      lastSeq: 0,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
    };
    try {
      await this.runs.insert(run);
    } catch (err) {
      await this.runArtifacts.unlinkRun(id);
      throw err;
    }
    this.eventStream.open(run.id, 0);
    await this.eventStream.publish(run.id, {
      type: 'run.queued',
      data: { workflowId, target, position: this.queue.stats().queued + 1 },
    });
    this.queue.enqueue(run.id);
    return toRunRecord((await this.runs.get(run.id)) ?? run, false);
  }

  /**
   * Params that take an uploaded image must name a stored artifact: checked
   * before queuing, so a path (`../../etc/passwd`) or a typo is a 400, not a
   * failed run. Those that exist are recorded as read by the run (released by
   * the caller if the run is refused), so deleting another run keeps them.
   */
  private async artifactRefIssues(runId: string, wf: Workflow): Promise<WorkflowIssue[]> {
    const refs: Array<{ nodeId: string; field: string; value: string; isId: boolean }> = [];
    const specs = new Map(this.engine.nodeSpecs().map((s) => [s.type, s]));
    for (const node of wf.nodes) {
      const props = (specs.get(node.type)?.params.properties ?? {}) as Record<string, { widget?: unknown }>;
      for (const [name, prop] of Object.entries(props)) {
        const value = node.params[name];
        if (prop.widget !== 'image-upload' || typeof value !== 'string' || value === '') continue;
        refs.push({ nodeId: node.id, field: name, value, isId: artifactIdSchema.safeParse(value).success });
      }
    }
    const missing = new Set(
      await this.artifacts.claimInputs(
        runId,
        refs.filter((r) => r.isId).map((r) => r.value),
      ),
    );
    const issues: WorkflowIssue[] = [];
    for (const { nodeId, field, value, isId } of refs) {
      if (!isId) {
        issues.push({
          code: 'invalid-param',
          nodeId,
          field,
          message: `"${value.slice(0, 100)}" is not an artifact id: upload the image with POST /api/artifacts and pass the id it returns`,
        });
      } else if (missing.has(value)) {
        issues.push({
          code: 'invalid-param',
          nodeId,
          field,
          message: `artifact ${value} does not exist (upload it first)`,
        });
      }
    }
    return issues;
  }
}
