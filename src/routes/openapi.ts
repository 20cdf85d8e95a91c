import { buildDocument } from '../openapi/document'
import { routeGroups } from './groups'

/** The OpenAPI document of every route group, from the operations each route file declares beside its handlers. */
export const buildOpenApiDocument = () => buildDocument(routeGroups.flatMap((group) => group.operations))
