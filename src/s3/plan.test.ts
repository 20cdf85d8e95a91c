import { describe, expect, it } from 'vitest'
import { MIB, partRange, planParts, RANGED_MAX_PARTS, S3_MAX_PARTS, SEQUENTIAL_MAX_PARTS } from './plan'

describe('planParts', () => {
  it('keeps s3_part_size_mb while the file fits, and makes files up to one part a single PUT', () => {
    expect(planParts(0, 8, S3_MAX_PARTS)).toEqual({ partSize: 8 * MIB, partCount: 1 })
    expect(planParts(8 * MIB, 8, S3_MAX_PARTS)).toEqual({ partSize: 8 * MIB, partCount: 1 })
    expect(planParts(8 * MIB + 1, 8, S3_MAX_PARTS)).toEqual({ partSize: 8 * MIB, partCount: 2 })
    expect(planParts(17.5 * MIB, 5, S3_MAX_PARTS)).toEqual({ partSize: 5 * MIB, partCount: 4 })
  })

  it('grows the part size in whole MiB so no upload needs more parts than allowed', () => {
    const fiveTiB = 5 * 1024 * 1024 * MIB
    for (const max of [S3_MAX_PARTS, RANGED_MAX_PARTS, SEQUENTIAL_MAX_PARTS]) {
      for (const total of [78 * 1024 * MIB, 200 * 1024 * MIB + 12345, fiveTiB]) {
        const plan = planParts(total, 8, max)
        expect(plan.partCount).toBeLessThanOrEqual(max)
        expect(plan.partSize % MIB).toBe(0)
        expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(total)
      }
    }
    expect(RANGED_MAX_PARTS * 2).toBeLessThanOrEqual(10_000)
  })

  it('never plans parts under S3 minimum of 5 MiB', () => {
    expect(planParts(100 * MIB, 1, S3_MAX_PARTS).partSize).toBe(5 * MIB)
  })
})

describe('partRange', () => {
  it('gives inclusive ranges covering the file exactly', () => {
    const total = 17.5 * MIB
    const ranges = [0, 1, 2, 3].map((i) => partRange(i, 5 * MIB, total))
    expect(ranges[0]).toEqual([0, 5 * MIB - 1])
    expect(ranges[3]).toEqual([15 * MIB, total - 1])
    expect(ranges.reduce((sum, [a, b]) => sum + (b - a + 1), 0)).toBe(total)
  })
})
