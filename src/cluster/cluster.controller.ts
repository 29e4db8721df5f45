import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { HookpostCore, type HookpostClusterView } from '../core/hookpost-core.js';

/** The view as JSON: each `renewedAt` as an ISO time. */
export type ClusterReply = Omit<HookpostClusterView, 'instances' | 'relay'> & {
  instances: Array<{ instanceId: string; partitions: number[]; renewedAt: string }>;
  relay: { instanceId: string; renewedAt: string } | null;
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
    relay:
      view.relay === null
        ? null
        : { instanceId: view.relay.instanceId, renewedAt: new Date(view.relay.renewedAt).toISOString() },
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
