import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.guard';
import { SystemService } from '../services/system.service';

const modelId = new ZodValidationPipe(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a model id is letters, digits, . _ -'),
  'model id',
);
const pullBodySchema = z
  .object({ variant: z.string().max(100).optional() })
  .strict()
  .default({});
type PullBody = z.output<typeof pullBodySchema>;

@ApiTags('system')
@Controller('api')
export class SystemController {
  constructor(@Inject(SystemService) private readonly service: SystemService) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Liveness; needs no token' })
  health() {
    return this.service.health();
  }

  @Get('system')
  @ApiOperation({ summary: 'Version, execution provider, queue length, running runs, loaded models' })
  system() {
    return this.service.system();
  }

  @Get('nodes')
  @ApiOperation({ summary: 'Every node type as JSON (ports, JSON Schema of the params, models)' })
  @ApiOkResponse({ description: 'NodeSpec[]' })
  nodes() {
    return this.service.nodes();
  }

  @Get('models')
  @ApiOperation({
    summary: 'Model status from the manifest, local folders and the models dir, with download progress',
  })
  models() {
    return this.service.listModels();
  }

  @Get('models/:id')
  @ApiOperation({ summary: 'One model: state, missing files, download progress' })
  model(@Param('id', modelId) id: string) {
    return this.service.getModel(id);
  }

  @Post('models/:id/pull')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Download a model in the background (joins a running download); poll GET /api/models/:id',
  })
  pull(
    @Param('id', modelId) id: string,
    @Body(new ZodValidationPipe(pullBodySchema, 'pull request')) body: PullBody,
  ) {
    return this.service.pullModel(id, body.variant);
  }
}
