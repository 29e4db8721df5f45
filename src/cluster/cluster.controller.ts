import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HookpostCore } from '../core/hookpost-core.js';
import type { ClusterView } from '../../libs/ownership/index.js';

/** The instance as JSON: `renewedAt` as an ISO time. */
export type ClusterReply = Omit<ClusterView, 'instances'> & {
  instances: Array<{ instanceId: string; partitions: number[]; renewedAt: string }>;
};

/** `GET /v1/cluster` and NATS `<ns>.cluster` answer this. */
export async function clusterReply(core: HookpostCore): Promise<ClusterReply> {
  const view = await core.cluster();
  return {
    ...view,
    instances: view.instances.map((instance) => ({
      ...instance,
      renewedAt: new Date(instance.renewedAt).toISOString(),
    })),
  };
}

/** Every live instance and the partitions it owns (docs/contract.md, "Active-active"). */
@ApiTags('cluster')
@ApiBearerAuth()
@Controller('v1/cluster')
export class ClusterController {
  constructor(private readonly core: HookpostCore) {}

  @Get()
  cluster(): Promise<ClusterReply> {
    return clusterReply(this.core);
  }
}
