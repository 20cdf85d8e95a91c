import type { TestProject } from 'vitest/node'
import { startFakes } from './fakes'

/** Runs in Node before the Workers pool starts: the fake providers, on 127.0.0.1 only. */
export default async function setup(project: TestProject) {
  const fakes = await startFakes()
  project.provide('fakes', fakes.urls)
  return fakes.close
}
