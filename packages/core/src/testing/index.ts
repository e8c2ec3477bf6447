export { startTestServer, type TestServer } from './test-server.ts'
export { createTestDatabase, databaseUrl, type TestDatabase } from './test-database.ts'
export { createTestRole, type TestRole } from './test-role.ts'
export { orphanEmbeddedServer } from './orphan-server.ts'
