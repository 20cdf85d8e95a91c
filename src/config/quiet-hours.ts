import * as z from 'zod/mini'
import { expected } from './coerce'

/** `HH:MM`, 00:00–23:59: a wall-clock minute of the recipient's day. */
const clockTime = z
  .string({ error: expected('a time "HH:MM"') })
  .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time "HH:MM" (00:00–23:59)' }))

/** Whether the runtime knows `zone` as an IANA time zone (its Intl data decides, as the window math does). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    // A RangeError names the zone; the caller reports the key only.
    return false
  }
}

/**
 * The tenant setting `quiet_hours` (docs/compliance.md, "Quiet hours"): no send while the recipient's
 * local time is in [start, end); `end` is the first minute allowed again. `zone` is `recipient` (from
 * the number) or one IANA zone for every recipient. `exempt` lists CI360 tasks (externalCode or taskId)
 * that are sent at any hour.
 */
export const QuietHoursSchema = z
  .object(
    {
      start: clockTime,
      end: clockTime,
      zone: z._default(
        z.string({ error: expected('"recipient" or an IANA time zone') }).check(
          z.refine((v) => v === 'recipient' || isTimeZone(v), {
            error: 'must be "recipient" or an IANA time zone',
          }),
        ),
        'recipient',
      ),
      exempt: z._default(
        z.array(z.string().check(z.minLength(1, { error: 'must not contain empty entries' })), {
          error: expected('a list of strings'),
        }),
        [],
      ),
    },
    { error: expected('a JSON object') },
  )
  .check(z.refine((v) => v.start !== v.end, { error: 'start and end must differ' }))

export type QuietHours = z.infer<typeof QuietHoursSchema>
