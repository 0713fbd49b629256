import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import {
  runEventsQuerySchema,
  runIdSchema,
  runListQuerySchema,
  runSubmitBodySchema,
  RUN_STATUSES,
} from '@maskflow/workflow';
import { openApiSchema } from '../common/openapi.util';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { RunService } from '../services/run.service';
import type { RunSubmit } from '../services/run.service';

const id = new ZodValidationPipe(runIdSchema, 'run id');

@ApiTags('runs')
@Controller('api/runs')
export class RunController {
  constructor(@Inject(RunService) private readonly service: RunService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a run of a graph, or of a saved workflow with values for its exposed inputs',
  })
  @ApiBody({ schema: openApiSchema(runSubmitBodySchema) })
  submit(@Body(new ZodValidationPipe(runSubmitBodySchema, 'run request')) body: RunSubmit) {
    return this.service.submit(body);
  }

  @Get()
  @ApiOperation({ summary: 'List runs, newest first' })
  @ApiQuery({ name: 'status', required: false, enum: RUN_STATUSES })
  @ApiQuery({ name: 'workflowId', required: false })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  list(@Query(new ZodValidationPipe(runListQuerySchema, 'query')) q: z.output<typeof runListQuerySchema>) {
    return this.service.list(q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One run: status, per-node summary, outputs, error and the graph as it ran' })
  get(@Param('id', id) rid: string) {
    return this.service.get(rid);
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'The run’s stored events with seq > after' })
  @ApiQuery({ name: 'after', required: false, type: Number })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  events(
    @Param('id', id) rid: string,
    @Query(new ZodValidationPipe(runEventsQuerySchema, 'query')) q: z.output<typeof runEventsQuerySchema>,
  ) {
    return this.service.events(rid, q);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued (never runs) or running (aborted) run' })
  cancel(@Param('id', id) rid: string) {
    return this.service.cancel(rid);
  }

  @Post(':id/rerun')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue the same graph and inputs again (unchanged nodes come from the cache)' })
  rerun(@Param('id', id) rid: string) {
    return this.service.rerun(rid);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a run and its events (a running run must be cancelled first)' })
  delete(@Param('id', id) rid: string) {
    return this.service.delete(rid);
  }
}
