import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import { applyBehaviour, recordCi360Request, type Scripts, sendJson } from './scripted'

/** A CSV received on a signed URL. */
export interface UploadedFile {
  /** The signed URL's path (without its signature). */
  path: string
  content_type: string
  csv: string
}

/** A table job CI360 was asked to run, with the CSV its `fileLocation` pointed at (null if none was uploaded). */
export interface TableJob {
  id: string
  client_id: string
  jobType: unknown
  fileLocation: unknown
  headerRowIncluded: unknown
  csv: string | null
}

interface KeyData {
  files: UploadedFile[]
  jobs: TableJob[]
}

/**
 * CI360's contact-preference import (docs/compliance.md, "CI360 contact preferences") under a test's path prefix:
 * `POST <prefix>/marketingData/fileTransferLocation` → `{"signedURL"}` (a URL of this fake on 127.0.0.1,
 * with a signature the PUT must carry); `PUT` that URL (`Content-Type: text/csv`) stores the file;
 * `POST <prefix>/marketingData/tableJobs/` records the job and answers `{"id"}`; `GET
 * <prefix>/marketingData/tableJobs/<id>` answers its status (`Imported`). The gateway calls need the same
 * Bearer token as the events endpoint. Scripted behaviours of the prefix apply to every one of these calls
 * in order. `GET /__control/contact-preferences?key=<prefix>` → `{files, jobs}`.
 */
export function createMarketingData(scripts: Scripts, verifyToken: (token: string) => string | undefined) {
  const data = new Map<string, KeyData>()
  const signatures = new Map<string, string>()
  const of = (key: string) => {
    let d = data.get(key)
    if (!d) {
      d = { files: [], jobs: [] }
      data.set(key, d)
    }
    return d
  }
  const ROUTE = /^(.*)\/marketingData\/(fileTransferLocation|uploads\/[\w-]+\.csv|tableJobs\/?(?:[\w-]+)?)$/

  /** Handle a marketingData request; false when the path is not one of them. */
  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname === '/__control/contact-preferences') {
      sendJson(res, 200, of(url.searchParams.get('key') ?? ''))
      return true
    }
    const m = ROUTE.exec(url.pathname)
    if (!m) return false
    const key = m[1] ?? ''
    const route = m[2] ?? ''
    const { raw, body, clientId } = await recordCi360Request(scripts, key, req, url, verifyToken)
    if (route.startsWith('uploads/')) {
      // The signed URL carries its own credential (its signature), not the gateway's token.
      if (req.method !== 'PUT' || signatures.get(url.pathname) !== url.searchParams.get('X-Amz-Signature')) {
        sendJson(res, 403, { message: 'SignatureDoesNotMatch' })
        return true
      }
      if (await applyBehaviour(scripts.next(key), req, res)) return true
      of(key).files.push({ path: url.pathname, content_type: req.headers['content-type'] ?? '', csv: raw })
      res.writeHead(200)
      res.end()
      return true
    }
    if (clientId === undefined) {
      sendJson(res, 401, { message: 'Unauthorized' })
      return true
    }
    if (await applyBehaviour(scripts.next(key), req, res)) return true
    if (route === 'fileTransferLocation' && req.method === 'POST') {
      const path = `${key}/marketingData/uploads/${randomUUID()}.csv`
      const signature = randomUUID().replaceAll('-', '')
      signatures.set(path, signature)
      const signedURL = `http://${req.headers.host}${path}?X-Amz-Expires=900&X-Amz-Signature=${signature}`
      sendJson(res, 201, { signedURL })
      return true
    }
    const jobId = route.replace(/^tableJobs\/?/, '')
    if (jobId === '' && req.method === 'POST') {
      const job = (body ?? {}) as Record<string, unknown>
      const location = URL.canParse(String(job.fileLocation))
        ? new URL(String(job.fileLocation)).pathname
        : ''
      const file = of(key).files.findLast((f) => f.path === location)
      const id = randomUUID()
      of(key).jobs.push({
        id,
        client_id: clientId,
        jobType: job.jobType,
        fileLocation: job.fileLocation,
        headerRowIncluded: job.headerRowIncluded,
        csv: file?.csv ?? null,
      })
      sendJson(res, 201, { id, jobType: job.jobType, status: 'Queued' })
      return true
    }
    const found = of(key).jobs.find((j) => j.id === jobId)
    if (req.method === 'GET' && found) {
      sendJson(res, 200, {
        id: found.id,
        jobType: found.jobType,
        status: found.csv ? 'Imported' : 'Failed Validation',
      })
      return true
    }
    sendJson(res, 404, { message: 'Not Found' })
    return true
  }

  return { handle }
}
