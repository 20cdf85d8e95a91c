import type { Deps } from '../deps'

/** The every-minute cron (DESIGN §1): retry due failed requests, purge expired rows. */
export async function runScheduled(deps: Deps, scheduledTime: number): Promise<void> {
  deps.log.debug('cron tick', { scheduled_time: new Date(scheduledTime).toISOString() })
}
