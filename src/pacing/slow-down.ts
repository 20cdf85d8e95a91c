import type { Deps } from '../deps'

/** Tell a sender's pacer to halve its pace (docs/pacing.md, "Slow-down"); logged once per call. */
export async function slowDownSender(
  ctx: Pick<Deps, 'pacers' | 'log' | 'now'>,
  pacer: string,
  reason: string,
) {
  if (!ctx.pacers) return
  const factor = await ctx.pacers.get(ctx.pacers.idFromName(pacer)).slowDown(reason, ctx.now())
  ctx.log.warn('sender slowed down', { reason, factor })
}
