import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { z } from 'zod';
import type { Workflow, WorkflowIssue, WorkflowRecord } from '@maskflow/workflow';
import {
  validateWorkflow,
  workflowCreateBodySchema,
  workflowSchema,
  workflowUpdateBodySchema,
} from '@maskflow/workflow';
import { ApiError } from '../common/api.error';
import { parseOrThrow } from '../common/zod-validation.pipe';
import { SERVER_CONFIG } from '../config/server.config';
import type { ServerConfig } from '../config/server.config';
import type { WorkflowEntity } from '../database/entities';
import { EngineRepository } from '../repositories/engine.repository';
import { StorageRepository } from '../repositories/storage.repository';
import { WorkflowRepository } from '../repositories/workflow.repository';

export type WorkflowCreate = z.output<typeof workflowCreateBodySchema>;
export type WorkflowUpdate = z.output<typeof workflowUpdateBodySchema>;

/** A saved workflow plus what the validator thinks of it (saving an unfinished graph is allowed). */
export type WorkflowResponse = WorkflowRecord & { issues: WorkflowIssue[] };

function toRecord(w: WorkflowEntity): WorkflowRecord {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    graph: w.graph,
    revision: w.revision,
    createdAt: new Date(w.createdAt).toISOString(),
    updatedAt: new Date(w.updatedAt).toISOString(),
  };
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'workflow'
  );
}

@Injectable()
export class WorkflowService implements OnApplicationBootstrap {
  private readonly log = new Logger('Workflows');

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    @Inject(WorkflowRepository) private readonly workflows: WorkflowRepository,
    @Inject(StorageRepository) private readonly storage: StorageRepository,
    @Inject(EngineRepository) private readonly engine: EngineRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.seedIfEmpty();
  }

  async list(): Promise<WorkflowRecord[]> {
    return (await this.workflows.list()).map(toRecord);
  }

  async get(id: string): Promise<WorkflowResponse> {
    return this.respond(await this.entity(id));
  }

  async create(body: WorkflowCreate, id: string = randomUUID()): Promise<WorkflowResponse> {
    const now = Date.now();
    const entity: WorkflowEntity = {
      id,
      name: body.name,
      description: body.description,
      graph: this.stripMeta(body.graph),
      revision: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.workflows.insert(entity);
    return this.respond(entity);
  }

  /** Saves against the revision the client read: someone else's save in between is a 409, never silently lost. */
  async update(id: string, body: WorkflowUpdate): Promise<WorkflowResponse> {
    const patch: Partial<WorkflowEntity> = { updatedAt: Date.now() };
    if (body.name !== undefined) patch.name = body.name;
    if (body.description !== undefined) patch.description = body.description;
    if (body.graph !== undefined) patch.graph = this.stripMeta(body.graph);
    if (!(await this.workflows.updateAtRevision(id, body.revision, patch))) {
      const current = await this.entity(id);
      throw ApiError.conflict(
        'stale-revision',
        `workflow "${id}" was saved by someone else in the meantime: it is at revision ${current.revision}, your copy is ` +
          `revision ${body.revision}. Reload it, apply your changes again and save with revision ${current.revision}.`,
      );
    }
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.workflows.delete(id))) throw ApiError.notFound('workflow', id);
  }

  /** The body is a workflow file as exported: the graph, with optional name and description. */
  async import(doc: unknown): Promise<WorkflowResponse> {
    const graph = parseOrThrow(workflowSchema, doc, 'workflow file');
    return this.create({
      name: graph.name?.trim() || 'Imported workflow',
      description: graph.description ?? '',
      graph,
    });
  }

  async export(id: string): Promise<{ filename: string; doc: Workflow }> {
    const w = await this.entity(id);
    const doc: Workflow = { ...w.graph, name: w.name, description: w.description };
    return { filename: `${slug(w.name)}.json`, doc };
  }

  /** On first start (no workflows at all), the example workflows become saved ones named after their files. */
  async seedIfEmpty(): Promise<number> {
    if (!this.config.seedDir || (await this.workflows.count()) > 0) return 0;
    let seeded = 0;
    for (const file of await this.storage.readJsonFiles(this.config.seedDir)) {
      try {
        const graph = workflowSchema.parse(JSON.parse(file.text));
        const id = slug(path.basename(file.name, '.json'));
        await this.create({ name: graph.name ?? id, description: graph.description ?? '', graph }, id);
        seeded++;
      } catch (err) {
        this.log.warn(
          `not seeding ${file.name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        );
      }
    }
    if (seeded) this.log.log(`seeded ${seeded} example workflow(s) from ${this.config.seedDir}`);
    return seeded;
  }

  private async entity(id: string): Promise<WorkflowEntity> {
    const w = await this.workflows.get(id);
    if (!w) throw ApiError.notFound('workflow', id);
    return w;
  }

  /** Name and description live on the record; the stored graph keeps only the graph. */
  private stripMeta(graph: Workflow): Workflow {
    const { name: _n, description: _d, ...rest } = graph;
    return rest;
  }

  private respond(w: WorkflowEntity): WorkflowResponse {
    return { ...toRecord(w), issues: validateWorkflow(w.graph, this.engine.registry.catalog).issues };
  }
}
