import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  workflowCreateBodySchema,
  workflowIdSchema,
  workflowSchema,
  workflowUpdateBodySchema,
} from '@maskflow/workflow';
import { jsonDownload } from '../common/file-response';
import { openApiSchema } from '../common/openapi.util';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { WorkflowService } from '../services/workflow.service';
import type { WorkflowCreate, WorkflowUpdate } from '../services/workflow.service';

const id = new ZodValidationPipe(workflowIdSchema, 'workflow id');

@ApiTags('workflows')
@Controller('api/workflows')
export class WorkflowController {
  constructor(@Inject(WorkflowService) private readonly service: WorkflowService) {}

  @Get()
  @ApiOperation({ summary: 'List saved workflows' })
  list() {
    return this.service.list();
  }

  @Post()
  @ApiOperation({ summary: 'Save a new workflow' })
  @ApiBody({ schema: openApiSchema(workflowCreateBodySchema) })
  create(@Body(new ZodValidationPipe(workflowCreateBodySchema, 'workflow')) body: WorkflowCreate) {
    return this.service.create(body);
  }

  @Post('import')
  @ApiOperation({ summary: 'Import a workflow file (the body is the file content, as exported)' })
  @ApiBody({ schema: openApiSchema(workflowSchema) })
  import(@Body() doc: unknown) {
    return this.service.import(doc);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One saved workflow, with its validation issues' })
  get(@Param('id', id) wid: string) {
    return this.service.get(wid);
  }

  @Get(':id/export')
  @ApiOperation({ summary: 'Download the workflow as a JSON file' })
  export(@Param('id', id) wid: string) {
    return this.service.export(wid).then(jsonDownload);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Save changes; `revision` must be the one you read, else 409' })
  @ApiBody({ schema: openApiSchema(workflowUpdateBodySchema) })
  update(
    @Param('id', id) wid: string,
    @Body(new ZodValidationPipe(workflowUpdateBodySchema, 'workflow')) body: WorkflowUpdate,
  ) {
    return this.service.update(wid, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a saved workflow (its runs are kept)' })
  delete(@Param('id', id) wid: string) {
    return this.service.delete(wid);
  }
}
