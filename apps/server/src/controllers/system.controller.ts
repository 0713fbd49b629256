import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.guard';
import { SystemService } from '../services/system.service';

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
  @ApiOperation({ summary: 'Model status from the manifest and the models dir' })
  models() {
    return this.service.listModels();
  }
}
