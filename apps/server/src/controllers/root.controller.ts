import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth.guard';
import { SystemService } from '../services/system.service';

/** `/` until the editor is built: apps/ui/dist is then served as static files in its place. */
@ApiExcludeController()
@Controller()
export class RootController {
  constructor(@Inject(SystemService) private readonly service: SystemService) {}

  @Public()
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index() {
    return placeholderPage(this.service.system().version);
  }
}

function placeholderPage(version: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Maskflow</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .3em}</style>
</head><body>
<h1>Maskflow ${version}</h1>
<p>The server is running. The visual editor is not built yet; until it is, use the API:</p>
<ul>
<li><a href="/api/docs">API documentation (OpenAPI)</a></li>
<li><a href="/api/nodes">Node types</a>, <a href="/api/workflows">saved workflows</a>, <a href="/api/runs">runs</a></li>
</ul>
<p>Run the example: <code>maskflow run --server http://127.0.0.1:8188 remove-object-classical --input image=@photo.jpg</code></p>
</body></html>`;
}
