import { Controller, Get } from '@nestjs/common';
import type { NodeSpec } from '@maskflow/workflow';
import { createNodeRegistry } from '@maskflow/nodes';

@Controller('api/nodes')
export class NodesController {
  private readonly specs = createNodeRegistry().toJSON();

  @Get()
  list(): NodeSpec[] {
    return this.specs;
  }
}
